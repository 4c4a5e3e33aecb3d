package io.runnel.broker.api;

import java.util.LinkedHashSet;
import java.util.List;
import java.util.Set;
import java.util.concurrent.CompletionStage;

import org.apache.kafka.common.message.AlterUserScramCredentialsRequestData;
import org.apache.kafka.common.message.AlterUserScramCredentialsResponseData;
import org.apache.kafka.common.message.AlterUserScramCredentialsResponseData.AlterUserScramCredentialsResult;
import org.apache.kafka.common.protocol.ApiMessage;
import org.apache.kafka.common.protocol.Errors;

import io.runnel.broker.metadata.MetadataController;
import io.runnel.broker.metadata.ScramCredentialAlterations;
import io.runnel.broker.protocol.ApiHandler;
import io.runnel.broker.protocol.RequestContext;

/**
 * AlterUserScramCredentials (KIP-554; what {@code kafka-configs --entity-type users --alter
 * --add-config 'SCRAM-SHA-512=[...]'} and Admin.alterUserScramCredentials send): sets and deletes
 * users' SCRAM credentials in the cluster metadata. The request carries salted passwords, never
 * passwords; the controller keeps only the keys derived from them. Served by the active
 * controller, forwarded there from other brokers. Stateless.
 */
public final class AlterUserScramCredentialsHandler implements ApiHandler {
    private final MetadataController controller;

    public AlterUserScramCredentialsHandler(MetadataController controller) {
        this.controller = controller;
    }

    @Override
    public CompletionStage<ApiMessage> handle(RequestContext context, ApiMessage request) {
        AlterUserScramCredentialsRequestData data = (AlterUserScramCredentialsRequestData) request;
        List<ScramCredentialAlterations.Deletion> deletions = data.deletions().stream()
                .map(d -> new ScramCredentialAlterations.Deletion(d.name(), d.mechanism())).toList();
        List<ScramCredentialAlterations.Upsertion> upsertions = data.upsertions().stream()
                .map(u -> new ScramCredentialAlterations.Upsertion(u.name(), u.mechanism(), u.iterations(), u.salt(), u.saltedPassword()))
                .toList();
        return controller.alterUserScramCredentials(deletions, upsertions).handle((results, error) -> {
            AlterUserScramCredentialsResponseData response = new AlterUserScramCredentialsResponseData();
            if (error != null) {
                // The response has no top-level error: as Kafka, every user named gets it (NOT_CONTROLLER, which clients retry).
                Errors code = ControllerErrors.of(error);
                Set<String> users = new LinkedHashSet<>();
                data.deletions().forEach(d -> users.add(d.name()));
                data.upsertions().forEach(u -> users.add(u.name()));
                users.forEach(user -> response.results().add(new AlterUserScramCredentialsResult().setUser(user)
                        .setErrorCode(code.code()).setErrorMessage(code.message())));
                return response;
            }
            for (ScramCredentialAlterations.UserResult r : results)
                response.results().add(new AlterUserScramCredentialsResult().setUser(r.user()).setErrorCode(r.error().code())
                        .setErrorMessage(r.message()));
            return response;
        });
    }
}
