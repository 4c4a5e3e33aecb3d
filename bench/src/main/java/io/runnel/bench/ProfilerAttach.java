package io.runnel.bench;

import com.sun.tools.attach.VirtualMachine;

/**
 * Sends one command to async-profiler in a running JVM (bench/profile). The broker is started
 * with the agent loaded and idle, so starting and stopping it later changes no compiled code;
 * jcmd cannot pass the agent's options, which contain '='.
 *
 * <p>Usage: {@code ProfilerAttach <pid> <libasyncProfiler.so> <command>}, e.g. {@code start,event=cpu,interval=1ms}.
 */
public final class ProfilerAttach {
    private ProfilerAttach() {
    }

    public static void main(String[] args) throws Exception {
        if (args.length != 3) {
            System.err.println("usage: ProfilerAttach <pid> <libasyncProfiler.so> <command>");
            System.exit(2);
        }
        VirtualMachine vm = VirtualMachine.attach(args[0]);
        try {
            vm.loadAgentPath(args[1], args[2]);
        } finally {
            vm.detach();
        }
    }
}
