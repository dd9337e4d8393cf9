package dev.thinkgate.audit;

import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.PrintStream;
import java.io.UncheckedIOException;
import java.net.ServerSocket;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Properties;
import java.util.UUID;
import kafka.server.KafkaConfig;
import kafka.server.KafkaRaftServer;
import kafka.tools.StorageTool;
import org.apache.kafka.clients.admin.Admin;
import org.apache.kafka.clients.admin.AdminClientConfig;
import org.apache.kafka.clients.admin.NewTopic;
import org.apache.kafka.clients.consumer.ConsumerConfig;
import org.apache.kafka.clients.consumer.ConsumerRecord;
import org.apache.kafka.clients.consumer.KafkaConsumer;
import org.apache.kafka.common.TopicPartition;
import org.apache.kafka.common.serialization.ByteArrayDeserializer;
import org.apache.kafka.common.serialization.StringDeserializer;
import org.apache.kafka.common.utils.Time;

/**
 * A real single-node Kafka (KRaft, broker and controller in one process) started inside the test
 * JVM from Apache Kafka's own server classes, on two free loopback ports and a directory the test
 * owns. {@link #stop()} shuts it down as an operator would; {@link #start()} brings it back on
 * the same ports and log directory, so a client sees an outage, not a new cluster.
 */
public final class KafkaTestBroker implements AutoCloseable {

  private final Path dir;
  private final int brokerPort;
  private final int controllerPort;
  private final Properties config;
  private KafkaRaftServer server;

  private KafkaTestBroker(Path dir) {
    this.dir = dir;
    this.brokerPort = freePort();
    this.controllerPort = freePort();
    this.config = new Properties();
    config.put("process.roles", "broker,controller");
    config.put("node.id", "1");
    config.put("controller.quorum.voters", "1@127.0.0.1:" + controllerPort);
    config.put("listeners",
        "PLAINTEXT://127.0.0.1:" + brokerPort + ",CONTROLLER://127.0.0.1:" + controllerPort);
    config.put("advertised.listeners", "PLAINTEXT://127.0.0.1:" + brokerPort);
    config.put("controller.listener.names", "CONTROLLER");
    config.put("inter.broker.listener.name", "PLAINTEXT");
    config.put("listener.security.protocol.map", "PLAINTEXT:PLAINTEXT,CONTROLLER:PLAINTEXT");
    config.put("log.dirs", dir.resolve("data").toString());
    config.put("metadata.log.dir", dir.resolve("metadata").toString());
    config.put("num.partitions", "1");
    config.put("auto.create.topics.enable", "false");
    config.put("offsets.topic.replication.factor", "1");
    config.put("offsets.topic.num.partitions", "1");
    config.put("transaction.state.log.replication.factor", "1");
    config.put("transaction.state.log.min.isr", "1");
    config.put("share.coordinator.state.topic.replication.factor", "1");
    config.put("share.coordinator.state.topic.min.isr", "1");
    config.put("group.initial.rebalance.delay.ms", "0");
    config.put("log.cleaner.dedupe.buffer.size", "2097152");
    config.put("controller.quorum.election.timeout.ms", "500");
    config.put("controller.quorum.fetch.timeout.ms", "1000");
  }

  /** Formats {@code dir} as a new cluster and starts the broker on it. */
  public static KafkaTestBroker start(Path dir) {
    KafkaTestBroker broker = new KafkaTestBroker(dir);
    broker.format();
    broker.start();
    return broker;
  }

  private void format() {
    try {
      Files.createDirectories(dir);
      Path file = dir.resolve("server.properties");
      try (var out = Files.newOutputStream(file)) {
        config.store(out, "thinkgate test broker");
      }
      ByteArrayOutputStream log = new ByteArrayOutputStream();
      String clusterId = org.apache.kafka.common.Uuid.randomUuid().toString();
      int rc = StorageTool.execute(
          new String[] {"format", "-t", clusterId, "-c", file.toString()},
          new PrintStream(log, true, StandardCharsets.UTF_8));
      if (rc != 0) {
        throw new IllegalStateException("kafka storage format failed: " + log);
      }
    } catch (IOException e) {
      throw new UncheckedIOException(e);
    }
  }

  /** Starts (or starts again) the broker on the same ports and directories. */
  public synchronized void start() {
    if (server != null) {
      return;
    }
    KafkaRaftServer s = new KafkaRaftServer(new KafkaConfig(config, false), Time.SYSTEM);
    s.startup();
    server = s;
  }

  /** Shuts the broker down and waits until its ports are closed. */
  public synchronized void stop() {
    if (server == null) {
      return;
    }
    server.shutdown();
    server.awaitShutdown();
    server = null;
  }

  public String bootstrapServers() {
    return "127.0.0.1:" + brokerPort;
  }

  /** Creates {@code topic} with {@code partitions} partitions, waiting until it exists. */
  public void createTopic(String topic, int partitions) {
    try (Admin admin = Admin.create(Map.of(
        AdminClientConfig.BOOTSTRAP_SERVERS_CONFIG, bootstrapServers()))) {
      admin.createTopics(List.of(new NewTopic(topic, partitions, (short) 1))).all().get();
    } catch (Exception e) {
      throw new IllegalStateException("cannot create topic " + topic, e);
    }
  }

  /** Every message of {@code topic}, partition by partition in offset order. */
  public List<ConsumerRecord<String, byte[]>> readAll(String topic) {
    Map<String, Object> props = new HashMap<>();
    props.put(ConsumerConfig.BOOTSTRAP_SERVERS_CONFIG, bootstrapServers());
    props.put(ConsumerConfig.ENABLE_AUTO_COMMIT_CONFIG, "false");
    props.put(ConsumerConfig.ISOLATION_LEVEL_CONFIG, "read_committed");
    try (KafkaConsumer<String, byte[]> consumer = new KafkaConsumer<>(props,
        new StringDeserializer(), new ByteArrayDeserializer())) {
      List<TopicPartition> partitions = consumer.partitionsFor(topic, Duration.ofSeconds(10))
          .stream().map(p -> new TopicPartition(topic, p.partition())).toList();
      consumer.assign(partitions);
      consumer.seekToBeginning(partitions);
      Map<TopicPartition, Long> end = consumer.endOffsets(partitions);
      List<ConsumerRecord<String, byte[]>> out = new ArrayList<>();
      long deadline = System.nanoTime() + Duration.ofSeconds(30).toNanos();
      while (partitions.stream().anyMatch(p -> consumer.position(p) < end.get(p))) {
        if (System.nanoTime() > deadline) {
          throw new IllegalStateException("topic " + topic + " not read to its end in 30 s");
        }
        consumer.poll(Duration.ofMillis(200)).forEach(out::add);
      }
      out.sort(java.util.Comparator.<ConsumerRecord<String, byte[]>>comparingInt(
          ConsumerRecord::partition).thenComparingLong(ConsumerRecord::offset));
      return out;
    }
  }

  @Override
  public void close() {
    stop();
  }

  /** A unique topic name for one test. */
  public static String topicName(String prefix) {
    return prefix + "-" + UUID.randomUUID().toString().substring(0, 8);
  }

  private static int freePort() {
    try (ServerSocket socket = new ServerSocket(0, 1, java.net.InetAddress.getLoopbackAddress())) {
      socket.setReuseAddress(true);
      return socket.getLocalPort();
    } catch (IOException e) {
      throw new UncheckedIOException(e);
    }
  }
}
