/**
 * The Kubernetes testbed of the e2e suites: a real v1.20 control plane on loopback
 * ({@link io.runnel.e2e.kube.KubeControlPlane}) and a test node agent
 * ({@link io.runnel.e2e.kube.TestNodeAgent}) that plays the kubelet, kube-proxy, cluster DNS and a
 * storage provisioner, so that StatefulSets of real broker processes (and the operator) run as
 * they would on a cluster. {@link io.runnel.e2e.kube.KubeTestbed} starts both, or points at an
 * external cluster ({@code KUBECONFIG} and {@code -Drunnel.e2e.kube=external}).
 *
 * <p>How the pieces of the agent fit, one concept per file: informer events go to one
 * {@code AgentLoop} thread; {@code PodSupervisor} runs pods ({@code PodRun}, {@code ContainerRun})
 * with {@code ContainerEnvironment}, {@code ContainerCommand}, {@code PodVolumes},
 * {@code ContainerLaunch} and {@code ProbeRunner}; {@code PodAddresses} and {@code HostsFile} give
 * pods addresses and names; {@code ServiceNetwork} and {@code ServiceProxy} make ClusterIPs work;
 * {@code ClaimProvisioner} makes volumes; {@code NodeRegistration} keeps the node Ready.
 *
 * <p>Knobs (system properties): {@code runnel.e2e.kube.maxProbePeriodMs} caps probe periods and
 * initial delays, {@code runnel.e2e.kube.maxRestartBackoffMs} (default 10000) caps the restart
 * back-off; {@code KUBE_TESTBED_BIN} (env) says where the control-plane binaries are.
 */
package io.runnel.e2e.kube;
