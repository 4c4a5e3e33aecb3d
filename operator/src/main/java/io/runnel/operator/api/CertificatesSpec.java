package io.runnel.operator.api;

import com.fasterxml.jackson.annotation.JsonIgnoreProperties;
import com.fasterxml.jackson.annotation.JsonPropertyDescription;

import io.fabric8.generator.annotation.Default;
import io.fabric8.generator.annotation.Max;
import io.fabric8.generator.annotation.Min;

/** How long the operator's certificates (CAs, brokers', users') live and when they are renewed. */
// Tolerates fields it does not know: an operator must read resources a newer version wrote.
@JsonIgnoreProperties(ignoreUnknown = true)
public class CertificatesSpec {
    @Default("365")
    @Min(2)
    @Max(36500)
    @JsonPropertyDescription("Validity of each certificate the operator issues, in days (the CAs' and the brokers' and users').")
    public int validityDays = 365;

    @Default("30")
    @Min(1)
    @Max(36499)
    @JsonPropertyDescription("A certificate is renewed this many days before it expires; must be less than validityDays. A renewal of the brokers' certificates rolls the brokers.")
    public int renewalDays = 30;

    public CertificatesSpec() {
    }

    public CertificatesSpec(int validityDays, int renewalDays) {
        this.validityDays = validityDays;
        this.renewalDays = renewalDays;
    }
}
