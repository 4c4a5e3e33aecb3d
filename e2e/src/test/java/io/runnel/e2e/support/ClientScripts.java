package io.runnel.e2e.support;

import static org.assertj.core.api.Assertions.assertThat;

import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.Map;

/**
 * Runs the client scripts under {@code e2e/clients/} (Debian's /usr/bin/python3 for the Python
 * clients, node for kafkajs) and checks their verdict: each prints a line starting with "OK " and
 * exits 0 when its own round trip held, or "FAIL ..." and exits 1.
 */
public final class ClientScripts {
    /** Debian's python: python3-kafka and python3-confluent-kafka install only for it. */
    public static final String DEBIAN_PYTHON = "/usr/bin/python3";

    private ClientScripts() {}

    public static Path pythonDir() {
        return E2eSettings.repoRoot().resolve("e2e/clients/python");
    }

    public static Path nodeDir() {
        return E2eSettings.repoRoot().resolve("e2e/clients/node");
    }

    public static ExternalCommand.Result python(BrokerProcess broker, String script, String... args) {
        return python(broker, Map.of(), script, args);
    }

    /** As {@link #python(BrokerProcess, String, String...)} with extra environment variables (e.g. credentials). */
    public static ExternalCommand.Result python(BrokerProcess broker, Map<String, String> env, String script, String... args) {
        assertThat(Path.of(DEBIAN_PYTHON)).as("Debian's python3; run bin/install-test-deps").isRegularFile();
        List<String> command = new ArrayList<>(List.of(DEBIAN_PYTHON, pythonDir().resolve(script).toString()));
        command.addAll(Arrays.asList(args));
        // Debian's interpreter, called by path, sees Debian's site-packages and not a pyenv's.
        ExternalCommand run = ExternalCommand.of(command).name(script.replace(".py", "")).dir(broker.dir())
                .env("PYTHONPATH", pythonDir().toString()).env("PYTHONUNBUFFERED", "1");
        env.forEach(run::env);
        return run.run();
    }

    public static ExternalCommand.Result node(BrokerProcess broker, String script, String... args) {
        return node(broker, Map.of(), script, args);
    }

    /** As {@link #node(BrokerProcess, String, String...)} with extra environment variables (e.g. credentials). */
    public static ExternalCommand.Result node(BrokerProcess broker, Map<String, String> env, String script, String... args) {
        assertThat(nodeDir().resolve("node_modules/kafkajs/package.json"))
                .as("kafkajs installed in e2e/clients/node; run bin/install-test-deps").isRegularFile();
        List<String> command = new ArrayList<>(List.of("node", nodeDir().resolve(script).toString()));
        command.addAll(Arrays.asList(args));
        ExternalCommand run = ExternalCommand.of(command).name(script.replace(".js", "")).dir(broker.dir());
        env.forEach(run::env);
        return run.run();
    }

    /** Asserts the script's verdict and returns its OK line. */
    public static String assertOk(ExternalCommand.Result result) {
        assertThat(result.succeeded()).as(result.describe()).isTrue();
        String okLine = result.stdout().lines().filter(l -> l.startsWith("OK ")).findFirst().orElse(null);
        assertThat(okLine).as("an OK line from the script\n" + result.describe()).isNotNull();
        return okLine;
    }
}
