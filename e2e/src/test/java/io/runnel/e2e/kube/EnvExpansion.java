package io.runnel.e2e.kube;

import java.util.function.Function;

/**
 * Kubernetes' {@code $(VAR)} expansion in env values, command and args, the way the kubelet does
 * it (a port of {@code third_party/forked/golang/expansion}): {@code $(NAME)} becomes the value of
 * a known variable, an unknown {@code $(NAME)} stays as written, {@code $$} is a literal
 * {@code $}, and any other {@code $} is copied as is. Stateless.
 */
final class EnvExpansion {
    private EnvExpansion() {
    }

    /** @param lookup a variable's value, or null when it is not defined */
    static String expand(String input, Function<String, String> lookup) {
        StringBuilder out = new StringBuilder();
        int checkpoint = 0;
        for (int cursor = 0; cursor < input.length(); cursor++) {
            if (input.charAt(cursor) != '$' || cursor + 1 >= input.length()) continue;
            out.append(input, checkpoint, cursor);
            char next = input.charAt(cursor + 1);
            int advance = 1;
            if (next == '$') {
                out.append('$');
            } else if (next == '(') {
                int close = input.indexOf(')', cursor + 2);
                if (close < 0) {
                    out.append("$(");
                } else {
                    String name = input.substring(cursor + 2, close);
                    String value = lookup.apply(name);
                    out.append(value != null ? value : "$(" + name + ")");
                    advance = close - cursor;
                }
            } else {
                out.append('$').append(next);
            }
            cursor += advance;
            checkpoint = cursor + 1;
        }
        return out.append(input.substring(Math.min(checkpoint, input.length()))).toString();
    }
}
