package io.runnel.operator.api;

import com.fasterxml.jackson.annotation.JsonIgnoreProperties;

/** One broker as the Cluster's status lists it: its id, its pod and whether it is ready. */
// Tolerates fields it does not know: an operator must read resources a newer version wrote.
@JsonIgnoreProperties(ignoreUnknown = true)
public class BrokerStatus {
    public int id;
    public String pod;
    public String address;
    public boolean controller;
    public boolean ready;

    public BrokerStatus() {
    }

    public BrokerStatus(int id, String pod, String address, boolean controller, boolean ready) {
        this.id = id;
        this.pod = pod;
        this.address = address;
        this.controller = controller;
        this.ready = ready;
    }
}
