"""Security settings for the e2e scripts that run over secured listeners (SecureClientsIT,
AuthenticationRequiredIT), read from the environment the JUnit side sets:

  RUNNEL_E2E_CA_PEM                         the test CA (PEM) the broker certificate is checked against
  RUNNEL_E2E_SASL_USER, RUNNEL_E2E_SASL_PASSWORD  set: SASL_SSL as that user, with
  RUNNEL_E2E_SASL_MECHANISM                 SCRAM-SHA-512 (the default) or PLAIN
  RUNNEL_E2E_CERT_PEM, RUNNEL_E2E_KEY_PEM   set (and no SASL user): SSL presenting this client certificate

Each client spells the same settings its own way; these functions are the one place per client.
"""
import os


def _env(name):
    return os.environ.get(name) or None


def mechanism():
    return _env("RUNNEL_E2E_SASL_MECHANISM") or "SCRAM-SHA-512"


def librdkafka_config():
    """confluent-kafka / librdkafka properties."""
    conf = {"ssl.ca.location": os.environ["RUNNEL_E2E_CA_PEM"]}
    if _env("RUNNEL_E2E_SASL_USER"):
        conf.update({"security.protocol": "SASL_SSL", "sasl.mechanisms": mechanism(),
                     "sasl.username": os.environ["RUNNEL_E2E_SASL_USER"],
                     "sasl.password": os.environ["RUNNEL_E2E_SASL_PASSWORD"]})
    else:
        conf["security.protocol"] = "SSL"
        if _env("RUNNEL_E2E_CERT_PEM"):
            conf.update({"ssl.certificate.location": os.environ["RUNNEL_E2E_CERT_PEM"],
                         "ssl.key.location": os.environ["RUNNEL_E2E_KEY_PEM"]})
    return conf


def kafka_python_config():
    """kafka-python keyword arguments (KafkaProducer, KafkaConsumer, KafkaAdminClient)."""
    conf = {"ssl_cafile": os.environ["RUNNEL_E2E_CA_PEM"]}
    if _env("RUNNEL_E2E_SASL_USER"):
        conf.update({"security_protocol": "SASL_SSL", "sasl_mechanism": mechanism(),
                     "sasl_plain_username": os.environ["RUNNEL_E2E_SASL_USER"],
                     "sasl_plain_password": os.environ["RUNNEL_E2E_SASL_PASSWORD"]})
    else:
        conf["security_protocol"] = "SSL"
        if _env("RUNNEL_E2E_CERT_PEM"):
            conf.update({"ssl_certfile": os.environ["RUNNEL_E2E_CERT_PEM"],
                         "ssl_keyfile": os.environ["RUNNEL_E2E_KEY_PEM"]})
    return conf
