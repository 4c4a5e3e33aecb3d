package io.runnel.broker.metadata;

import java.util.List;

import org.apache.kafka.common.Uuid;

/** A registered broker: its id, incarnation, endpoints by listener name, rack. Immutable. */
public record BrokerImage(int id, Uuid incarnationId, long epoch, List<Endpoint> endpoints, String rack, boolean fenced) {

    /** One advertised listener of a broker. */
    public record Endpoint(String listenerName, String host, int port, short securityProtocol) {}

    public BrokerImage {
        endpoints = List.copyOf(endpoints);
    }

    /** The endpoint for a listener name, or the first one if the broker has no such listener. */
    public Endpoint endpointFor(String listenerName) {
        return endpoints.stream().filter(e -> e.listenerName().equals(listenerName)).findFirst()
                .orElse(endpoints.isEmpty() ? null : endpoints.get(0));
    }
}
