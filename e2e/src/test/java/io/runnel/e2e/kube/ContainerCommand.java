package io.runnel.e2e.kube;

import io.fabric8.kubernetes.api.model.Container;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;

/**
 * The argv a container runs, by Kubernetes' rules for {@code command} and {@code args} against
 * the image's ENTRYPOINT and CMD: no command and no args runs ENTRYPOINT + CMD; args alone
 * replace CMD; a command replaces both ENTRYPOINT and CMD (with the args after it). Every element
 * of command and args is {@code $(VAR)}-expanded against the container's final environment.
 * Stateless.
 */
final class ContainerCommand {
    private ContainerCommand() {
    }

    static List<String> argv(Container container, LocalImages.Image image, Map<String, String> env) {
        List<String> command = container.getCommand() == null ? List.of() : container.getCommand();
        List<String> args = container.getArgs() == null ? List.of() : container.getArgs();
        List<String> argv = new ArrayList<>();
        if (!command.isEmpty()) {
            argv.addAll(expanded(command, env));
            argv.addAll(expanded(args, env));
        } else {
            argv.addAll(image.entrypoint());
            argv.addAll(args.isEmpty() ? image.cmd() : expanded(args, env));
        }
        return argv;
    }

    private static List<String> expanded(List<String> words, Map<String, String> env) {
        return words.stream().map(word -> EnvExpansion.expand(word, env::get)).toList();
    }
}
