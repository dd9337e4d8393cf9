package dev.thinkgate.config;

import dev.thinkgate.config.GatewayConfig.KafkaSinkConfig;
import java.util.Map;
import java.util.Properties;
import java.util.Set;
import org.apache.kafka.clients.producer.ProducerConfig;
import org.apache.kafka.common.serialization.ByteArraySerializer;
import org.apache.kafka.common.serialization.StringSerializer;

/**
 * The producer settings of a Kafka audit sink: defaults that never lose a record the broker
 * acknowledged ({@code acks=all}, idempotent producer, unbounded retries within a long delivery
 * timeout), the sink's own keys, and the operator's {@code producer_properties} over them, minus
 * the few that would weaken delivery or that the sink owns.
 */
public final class KafkaProducerSettings {

  /** Kept while the broker is away: an outage this long loses nothing the sink accepted. */
  public static final long DEFAULT_DELIVERY_TIMEOUT_MS = 600_000;
  /** How long one {@code send} may wait for metadata or buffer room (on the sender thread). */
  public static final long DEFAULT_MAX_BLOCK_MS = 1_000;
  public static final long DEFAULT_LINGER_MS = 20;

  /** Set by the sink from its own keys; a property may not override them. */
  private static final Set<String> OWNED = Set.of(
      ProducerConfig.BOOTSTRAP_SERVERS_CONFIG, ProducerConfig.KEY_SERIALIZER_CLASS_CONFIG,
      ProducerConfig.VALUE_SERIALIZER_CLASS_CONFIG, ProducerConfig.COMPRESSION_TYPE_CONFIG,
      ProducerConfig.TRANSACTIONAL_ID_CONFIG);

  private KafkaProducerSettings() {}

  /**
   * @return why {@code name: value} is refused in {@code producer_properties}, or null when it is
   *     allowed
   */
  public static String refusal(String name, String value) {
    if (!ProducerConfig.configNames().contains(name)) {
      return "unknown key: not a Kafka producer setting (see the producer configs of Apache Kafka)";
    }
    if (name.equals(ProducerConfig.BOOTSTRAP_SERVERS_CONFIG)) {
      return "is set by bootstrap_servers; remove it here";
    }
    if (name.equals(ProducerConfig.COMPRESSION_TYPE_CONFIG)) {
      return "is set by compression; remove it here";
    }
    if (OWNED.contains(name)) {
      return "is set by the sink and may not be changed";
    }
    if (name.equals(ProducerConfig.ACKS_CONFIG) && !(value.equals("all") || value.equals("-1"))) {
      return ConfigNode.quote(value) + " could lose acknowledged records; allowed: all";
    }
    if (name.equals(ProducerConfig.ENABLE_IDEMPOTENCE_CONFIG) && !value.equals("true")) {
      return ConfigNode.quote(value) + " could duplicate or reorder records; allowed: true";
    }
    return null;
  }

  /**
   * @return what the Kafka client says of a value it cannot use (say {@code linger.ms: soon}),
   *     or null when every value parses; checked without connecting anywhere
   */
  public static String invalidValue(KafkaSinkConfig config) {
    try {
      new ProducerConfig(of(config));
      return null;
    } catch (org.apache.kafka.common.config.ConfigException e) {
      return e.getMessage();
    }
  }

  /** The properties the sink's producer is built from. */
  public static Properties of(KafkaSinkConfig config) {
    Properties p = new Properties();
    p.put(ProducerConfig.ACKS_CONFIG, "all");
    p.put(ProducerConfig.ENABLE_IDEMPOTENCE_CONFIG, "true");
    p.put(ProducerConfig.MAX_IN_FLIGHT_REQUESTS_PER_CONNECTION, "5");
    p.put(ProducerConfig.RETRIES_CONFIG, Integer.toString(Integer.MAX_VALUE));
    p.put(ProducerConfig.DELIVERY_TIMEOUT_MS_CONFIG, Long.toString(DEFAULT_DELIVERY_TIMEOUT_MS));
    p.put(ProducerConfig.MAX_BLOCK_MS_CONFIG, Long.toString(DEFAULT_MAX_BLOCK_MS));
    p.put(ProducerConfig.LINGER_MS_CONFIG, Long.toString(DEFAULT_LINGER_MS));
    p.put(ProducerConfig.CLIENT_ID_CONFIG, "thinkgate-audit");
    for (Map.Entry<String, String> e : config.producerProperties().entrySet()) {
      if (refusal(e.getKey(), e.getValue()) == null) {
        p.put(e.getKey(), e.getValue());
      }
    }
    p.put(ProducerConfig.BOOTSTRAP_SERVERS_CONFIG, config.bootstrapServers());
    p.put(ProducerConfig.COMPRESSION_TYPE_CONFIG, config.compression());
    p.put(ProducerConfig.KEY_SERIALIZER_CLASS_CONFIG, StringSerializer.class.getName());
    p.put(ProducerConfig.VALUE_SERIALIZER_CLASS_CONFIG, ByteArraySerializer.class.getName());
    return p;
  }
}
