package io.runnel.broker.api;

import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CompletionStage;

import org.apache.kafka.common.message.DescribeUserScramCredentialsRequestData;
import org.apache.kafka.common.message.DescribeUserScramCredentialsResponseData;
import org.apache.kafka.common.message.DescribeUserScramCredentialsResponseData.CredentialInfo;
import org.apache.kafka.common.message.DescribeUserScramCredentialsResponseData.DescribeUserScramCredentialsResult;
import org.apache.kafka.common.protocol.ApiMessage;
import org.apache.kafka.common.protocol.Errors;
import org.apache.kafka.common.security.scram.ScramCredential;
import org.apache.kafka.common.security.scram.internals.ScramMechanism;

import io.runnel.broker.metadata.MetadataController;
import io.runnel.broker.metadata.ScramImage;
import io.runnel.broker.protocol.ApiHandler;
import io.runnel.broker.protocol.RequestContext;

/**
 * DescribeUserScramCredentials (KIP-554; {@code kafka-configs --entity-type users --describe}):
 * which SCRAM mechanisms each user has, with their iteration counts — never salts or keys.
 * Answered by any broker from its own metadata image, as Kafka's brokers answer it from their
 * metadata cache (a credential set a moment ago on the controller may not have arrived yet).
 *
 * <p>No users named (null or empty) describes every user; a named user without credentials is
 * RESOURCE_NOT_FOUND; a user named twice is DUPLICATE_RESOURCE. Stateless.
 */
public final class DescribeUserScramCredentialsHandler implements ApiHandler {
    private final MetadataController controller;

    public DescribeUserScramCredentialsHandler(MetadataController controller) {
        this.controller = controller;
    }

    @Override
    public CompletionStage<ApiMessage> handle(RequestContext context, ApiMessage request) {
        DescribeUserScramCredentialsRequestData data = (DescribeUserScramCredentialsRequestData) request;
        ScramImage scram = controller.image().scram();
        // user → named more than once
        Map<String, Boolean> users = new LinkedHashMap<>();
        if (data.users() == null || data.users().isEmpty()) scram.users().forEach(user -> users.put(user, false));
        else data.users().forEach(u -> users.merge(u.name(), false, (earlier, again) -> true));

        DescribeUserScramCredentialsResponseData response = new DescribeUserScramCredentialsResponseData();
        users.forEach((user, duplicate) -> response.results().add(describe(scram, user, duplicate)));
        return CompletableFuture.completedFuture(response);
    }

    private static DescribeUserScramCredentialsResult describe(ScramImage scram, String user, boolean duplicate) {
        DescribeUserScramCredentialsResult result = new DescribeUserScramCredentialsResult().setUser(user);
        if (duplicate)
            return result.setErrorCode(Errors.DUPLICATE_RESOURCE.code())
                    .setErrorMessage("Cannot describe SCRAM credentials for the same user twice in a single request: " + user);
        Map<ScramMechanism, ScramCredential> credentials = scram.credentials(user);
        if (credentials.isEmpty())
            return result.setErrorCode(Errors.RESOURCE_NOT_FOUND.code())
                    .setErrorMessage("Attempt to describe a user credential that does not exist: " + user);
        List<CredentialInfo> infos = new ArrayList<>();
        credentials.forEach((mechanism, c) -> infos.add(new CredentialInfo()
                .setMechanism(ScramImage.type(mechanism))
                .setIterations(c.iterations())));
        return result.setCredentialInfos(infos);
    }
}
