package dev.thinkgate.proxy;

import static dev.thinkgate.proxy.GatewayHarness.MODEL;
import static org.assertj.core.api.Assertions.assertThat;

import dev.thinkgate.audit.AuditRecord;
import dev.thinkgate.audit.AuditSink;
import dev.thinkgate.audit.AuditSinks;
import dev.thinkgate.audit.KafkaTestBroker;
import dev.thinkgate.cli.Main;
import dev.thinkgate.config.GatewayConfig.AuditConfig;
import dev.thinkgate.config.GatewayConfig.AuditSinkConfig;
import dev.thinkgate.config.GatewayConfig.KafkaSinkConfig;
import dev.thinkgate.emulator.GuardEmulatorOptions;
import dev.thinkgate.emulator.ModelEmulatorOptions;
import dev.thinkgate.emulator.Script;
import io.micrometer.core.instrument.MeterRegistry;
import io.micrometer.core.instrument.simple.SimpleMeterRegistry;
import io.vertx.core.json.JsonObject;
import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.PrintStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Clock;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.HashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.function.BooleanSupplier;
import java.util.stream.Stream;
import org.apache.kafka.clients.consumer.ConsumerRecord;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import picocli.CommandLine;

/**
 * The Kafka audit sink and {@code thinkgate audit kafka://…} against a real single-node KRaft
 * broker started in this JVM ({@link KafkaTestBroker}), with real gateways in front of the
 * emulated model and guard.
 */
class KafkaAuditIT {
  private static final int K = 3;
  private static final String SAFE_THINKING = "The user asks about bread, so I list the"
      + " ingredients and the steps in order.";
  private static final String UNSAFE_THINKING = "The user asks about bread. Unrelated, I could"
      + " explain how to build a bomb here.";
  private static final String ANSWER = "Mix flour, water, yeast and salt, knead, let it rise,"
      + " then bake it.";

  @TempDir
  static Path brokerDir;
  private static KafkaTestBroker broker;

  @BeforeAll
  static void startBroker() {
    broker = KafkaTestBroker.start(brokerDir);
  }

  @AfterAll
  static void stopBroker() {
    if (broker != null) {
      broker.close();
    }
  }

  /**
   * Two gateways, each with a file sink and a Kafka sink on one topic of four partitions: every
   * record acknowledged is in the topic, byte for byte the line its file sink wrote; the K samples
   * of a group share one partition and its key; the audit report over the topic equals the report
   * over the files.
   */
  @Test
  void twoGatewaysShareOneTopicWithGroupsWholeAndTheSameReportAsTheirFiles(
      @TempDir Path policies, @TempDir Path filesA, @TempDir Path filesB) throws Exception {
    String topic = KafkaTestBroker.topicName("audit");
    broker.createTopic(topic, 4);
    writeSafeAtKPolicy(policies);
    MeterRegistry registryA = new SimpleMeterRegistry();
    MeterRegistry registryB = new SimpleMeterRegistry();
    AuditSink sinkA = fileAndKafka(filesA, topic, registryA);
    AuditSink sinkB = fileAndKafka(filesB, topic, registryB);
    int perGateway = 6;
    try (GatewayHarness a = gateway(policies, sinkA); GatewayHarness b = gateway(policies, sinkB)) {
      for (int i = 0; i < perGateway; i++) {
        assertThat(ask(a, "How do I bake bread? (a" + i + ")").done()).isTrue();
        assertThat(ask(b, "How do I bake bread? (b" + i + ")").done()).isTrue();
      }
      await(() -> written(registryA, "file:" + filesA) == perGateway * K
          && written(registryB, "file:" + filesB) == perGateway * K
          && written(registryA, "kafka:" + topic) == perGateway * K
          && written(registryB, "kafka:" + topic) == perGateway * K, 30_000,
          "every record written to both sinks of both gateways");
    } finally {
      sinkA.close();
      sinkB.close();
    }
    assertThat(dropped(registryA) + dropped(registryB)).isZero();

    Map<String, String> fileLines = new HashMap<>();
    fileLines.putAll(lines(filesA));
    fileLines.putAll(lines(filesB));
    List<ConsumerRecord<String, byte[]>> messages = broker.readAll(topic);
    assertThat(fileLines).hasSize(2 * perGateway * K);
    assertThat(messages).hasSize(fileLines.size());
    Map<String, Set<Integer>> partitionsOfGroup = new HashMap<>();
    Map<String, List<String>> idsByGroupInTopic = new HashMap<>();
    for (ConsumerRecord<String, byte[]> m : messages) {
      String value = new String(m.value(), StandardCharsets.UTF_8);
      JsonObject record = new JsonObject(value);
      String group = record.getString("group");
      assertThat(m.key()).isEqualTo(group);
      assertThat(value).as("message of %s", record.getString("id"))
          .isEqualTo(fileLines.get(record.getString("id")));
      partitionsOfGroup.computeIfAbsent(group, g -> new HashSet<>()).add(m.partition());
      idsByGroupInTopic.computeIfAbsent(group, g -> new ArrayList<>()).add(record.getString("id"));
    }
    assertThat(partitionsOfGroup).hasSize(2 * perGateway);
    assertThat(partitionsOfGroup.values()).allSatisfy(p -> assertThat(p).hasSize(1));
    // several partitions were used, so "one partition per group" is not one partition for all
    assertThat(partitionsOfGroup.values().stream().flatMap(Set::stream).distinct().count())
        .isGreaterThan(1);
    // within a partition a group's samples keep the order their gateway offered them in
    Map<String, List<String>> idsByGroupInFiles = idsByGroupInFileOrder(filesA, filesB);
    assertThat(idsByGroupInTopic).isEqualTo(idsByGroupInFiles);

    // the same report from the topic as from the files, in every format
    Cli fromTopic = Cli.run("audit", "kafka://" + broker.bootstrapServers() + "/" + topic,
        "--k", String.valueOf(K), "--format", "json");
    Cli fromFiles = Cli.run("audit", filesA.toString(), filesB.toString(),
        "--k", String.valueOf(K), "--format", "json");
    assertThat(fromTopic.exit).as(fromTopic.err).isZero();
    assertThat(fromFiles.exit).as(fromFiles.err).isZero();
    JsonObject topicReport = new JsonObject(fromTopic.out);
    JsonObject filesReport = new JsonObject(fromFiles.out);
    assertThat(topicReport.getJsonObject("read").getLong("partitions")).isEqualTo(4);
    assertThat(topicReport.getJsonObject("read").getLong("records")).isEqualTo(2L * perGateway * K);
    topicReport.remove("read");
    filesReport.remove("read");
    assertThat(topicReport).isEqualTo(filesReport);
    assertThat(topicReport.encode()).contains("safe_at_1", "safe_at_k", "cons_safe_at_k");
    // every third generation thinks unsafely, so the figures are not a trivial all-safe 1.0
    assertThat(topicReport.encode()).containsPattern("\"safe_at_1\":\\{\"value\":0\\.");

    Cli text = Cli.run("audit", "kafka://" + broker.bootstrapServers() + "/" + topic,
        "--k", String.valueOf(K));
    Cli textFiles = Cli.run("audit", filesA.toString(), filesB.toString(), "--k", String.valueOf(K));
    assertThat(text.out).contains("36 records from 4 partitions");
    assertThat(textFiles.out).contains("36 records from 2 files");
    assertThat(text.out.substring(text.out.indexOf('\n')))
        .isEqualTo(textFiles.out.substring(textFiles.out.indexOf('\n')));
    Cli html = Cli.run("audit", "kafka://" + broker.bootstrapServers() + "/" + topic,
        "--k", String.valueOf(K), "--format", "html");
    assertThat(html.exit).isZero();
    assertThat(html.out).startsWith("<!DOCTYPE html>").contains("36 records from 4 partitions");

    // --since a time after every record reads nothing; before every record reads all
    Cli none = Cli.run("audit", "kafka://" + broker.bootstrapServers() + "/" + topic,
        "--since", "2999-01-01T00:00:00Z", "--format", "json");
    assertThat(none.exit).isEqualTo(1);
    assertThat(none.err).contains("no records found");
    Cli all = Cli.run("audit", "kafka://" + broker.bootstrapServers() + "/" + topic,
        "--since", "2000-01-01T00:00:00Z", "--k", String.valueOf(K), "--format", "json");
    JsonObject allReport = new JsonObject(all.out);
    allReport.remove("read");
    assertThat(allReport).isEqualTo(filesReport);
  }

  @Test
  void aMessageThatIsNotARecordIsSkippedCountedAndNamed() throws Exception {
    String topic = KafkaTestBroker.topicName("mixed");
    broker.createTopic(topic, 1);
    AuditRecord good = new AuditRecord("r1", "2026-11-29T02:00:00Z", "t", "p", MODEL, "passthrough",
        "g1", 0, new JsonObject(), "prompt", "thinking", "answer", new JsonObject(), "pass", "pass",
        "stop", null, null);
    try (var producer = new org.apache.kafka.clients.producer.KafkaProducer<String, String>(
        Map.<String, Object>of("bootstrap.servers", broker.bootstrapServers()),
        new org.apache.kafka.common.serialization.StringSerializer(),
        new org.apache.kafka.common.serialization.StringSerializer())) {
      producer.send(new org.apache.kafka.clients.producer.ProducerRecord<>(topic, "g0",
          "{\"id\": \"cut")).get();
      producer.send(new org.apache.kafka.clients.producer.ProducerRecord<>(topic, "g1",
          good.toJson().encode())).get();
    }

    Cli report = Cli.run("audit", "kafka://" + broker.bootstrapServers() + "/" + topic,
        "--k", "1", "--format", "json");

    assertThat(report.exit).as(report.err).isZero();
    assertThat(report.err).contains("warning: " + topic + "-0@0: not a JSON object, skipped");
    JsonObject read = new JsonObject(report.out).getJsonObject("read");
    assertThat(read.getLong("records")).isEqualTo(1);
    assertThat(read.getLong("bad_lines")).isEqualTo(1);
    assertThat(read.getLong("partitions")).isEqualTo(1);
  }

  /** The sink stamps each message with the record's ts, so --since selects by ts exactly. */
  @Test
  void sinceReadsTheRecordsAtOrAfterTheGivenTime() throws Exception {
    String topic = KafkaTestBroker.topicName("since");
    broker.createTopic(topic, 2);
    MeterRegistry registry = new SimpleMeterRegistry();
    AuditSink sink = AuditSinks.create(new AuditConfig(List.of(AuditSinkConfig.kafka(
        KafkaSinkConfig.of(broker.bootstrapServers(), topic), 100)), 8), registry,
        Clock.systemUTC());
    String[] times = {"2026-11-29T01:00:00Z", "2026-11-29T02:00:00Z", "2026-11-29T02:00:00.001Z",
        "2026-11-29T03:30:00Z"};
    for (int i = 0; i < times.length; i++) {
      sink.offer(new AuditRecord("r" + i, times[i], "t", "p", MODEL, "passthrough", "g" + i, 0,
          new JsonObject(), "prompt", "thinking", "answer", new JsonObject(), "pass", "pass",
          "stop", null, null));
    }
    sink.close();
    assertThat(written(registry, "kafka:" + topic)).isEqualTo(times.length);

    Cli from2 = Cli.run("audit", "kafka://" + broker.bootstrapServers() + "/" + topic,
        "--since", "2026-11-29T02:00:00Z", "--k", "1", "--format", "json");
    Cli fromOffset = Cli.run("audit", "kafka://" + broker.bootstrapServers() + "/" + topic,
        "--since", "2026-11-29T03:00:00.001+01:00", "--k", "1", "--format", "json");
    Cli both = Cli.run("audit", "kafka://" + broker.bootstrapServers() + "/" + topic,
        "--from-beginning", "--since", "2026-11-29T02:00:00Z");
    Cli onFiles = Cli.run("audit", brokerDir.toString(), "--since", "2026-11-29T02:00:00Z");

    assertThat(new JsonObject(from2.out).getJsonObject("read").getLong("records")).isEqualTo(3);
    assertThat(new JsonObject(fromOffset.out).getJsonObject("read").getLong("records"))
        .isEqualTo(2);
    assertThat(both.exit).isEqualTo(2);
    assertThat(both.err).contains("--from-beginning and --since exclude each other");
    assertThat(onFiles.exit).isEqualTo(2);
    assertThat(onFiles.err).contains("--since applies to kafka:// inputs only");
  }

  @Test
  void aMissingTopicAndABadAddressAreNamed() {
    Cli missing = Cli.run("audit", "kafka://" + broker.bootstrapServers() + "/no-such-topic");
    assertThat(missing.exit).isEqualTo(1);
    assertThat(missing.err).contains("kafka://" + broker.bootstrapServers()
        + "/no-such-topic: no such topic");
    Cli bad = Cli.run("audit", "kafka://nohost/topic");
    assertThat(bad.exit).isEqualTo(2);
    assertThat(bad.err).contains("is not kafka://HOST:PORT");
  }

  /**
   * The broker stops mid-run: requests go on unharmed, the sink holds what fits in its producer
   * buffer and queue and counts the rest as overflow; after the broker restarts (same port, same
   * log directory) every record the sink accepted is delivered, none twice.
   */
  @Test
  void aBrokerOutageCostsNoRequestAndLosesNoAcceptedRecord(@TempDir Path policies)
      throws Exception {
    String topic = KafkaTestBroker.topicName("outage");
    broker.createTopic(topic, 2);
    Files.writeString(policies.resolve("a.yaml"), """
        audit:
          sample_rate: 1.0
        """);
    MeterRegistry registry = new SimpleMeterRegistry();
    // a small producer buffer and queue, so that the outage overflows them within the test
    KafkaSinkConfig kafka = new KafkaSinkConfig(broker.bootstrapServers(), topic, "zstd", 10_000,
        Map.of("buffer.memory", "16384", "batch.size", "4096", "max.block.ms", "200"));
    AuditSink kafkaSink = AuditSinks.create(
        new AuditConfig(List.of(AuditSinkConfig.kafka(kafka, 8)), 8), registry, Clock.systemUTC());
    AcceptedIdsAuditSink recording = new AcceptedIdsAuditSink(kafkaSink);
    Set<String> accepted = recording.accepted();
    String sink = "kafka:" + topic;
    ModelEmulatorOptions model = ModelEmulatorOptions.builder().tokensPerSecond(0)
        .scriptOverride(body -> Script.of(SAFE_THINKING, ANSWER + " More words. ".repeat(40)))
        .build();
    boolean restarted = false;
    try (GatewayHarness h = new GatewayHarness().model(model).audit(recording)
        .policies(policies).policy("a").start()) {
      long before = timedRequests(h, 5, "before");
      await(() -> written(registry, sink) == 5, 15_000, "the first records acknowledged");

      // five more, and the broker goes away while they are still queued or in flight
      timedRequests(h, 5, "just before");
      broker.stop();
      long during = timedRequests(h, 60, "during");
      // requests do not wait for the broker: 60 during the outage take no longer per request
      // than a generous multiple of those before it (each is a few ms; a blocked one would hang)
      assertThat(during / 60).isLessThan(Math.max(200, 20 * before / 5));
      // a record is offered after its response has gone out: wait for the last ones
      await(() -> accepted.size() + (int) dropped(registry, sink) == 70, 15_000,
          "all 70 records offered");
      double overflow = dropped(registry, sink);
      assertThat(overflow).as("records dropped for a full queue").isPositive();
      assertThat(accepted.size() + (int) overflow).isEqualTo(70);
      assertThat(written(registry, sink)).isLessThanOrEqualTo(10);
      assertThat(accepted.size()).as("records held through the outage").isGreaterThan(10);
      System.out.printf("outage: 60 requests in %d ms (5 before it: %d ms); %d records accepted,"
          + " %.0f dropped for a full queue, %.0f acknowledged before the restart%n", during, before,
          accepted.size(), overflow, written(registry, sink));

      broker.start();
      restarted = true;
      await(() -> written(registry, sink) == accepted.size(), 60_000,
          "every accepted record acknowledged after the restart");
      assertThat(timedRequests(h, 3, "after")).isPositive();
      await(() -> written(registry, sink) == accepted.size(), 15_000, "records after the restart");
    } finally {
      if (!restarted) {
        broker.start();
      }
      recording.close();
    }
    assertThat(registry.get("thinkgate.audit.dropped").tag("sink", sink)
        .tag("reason", "delivery_failed").counter().count()).isZero();
    List<String> ids = broker.readAll(topic).stream()
        .map(m -> new JsonObject(new String(m.value(), StandardCharsets.UTF_8)).getString("id"))
        .toList();
    assertThat(ids).doesNotHaveDuplicates();
    assertThat(new HashSet<>(ids)).isEqualTo(accepted);
  }

  // ------------------------------------------------------------------------------ helpers

  private static double dropped(MeterRegistry registry, String sink) {
    io.micrometer.core.instrument.Counter c = registry.find("thinkgate.audit.dropped")
        .tag("sink", sink).tag("reason", "queue_full").counter();
    return c == null ? 0 : c.count();
  }

  private static void writeSafeAtKPolicy(Path policies) throws IOException {
    Files.writeString(policies.resolve("k.yaml"), """
        screening:
          thinking: {release: shadow, action: log_only}
          answer: {release: shadow, action: log_only}
        audit:
          sample_rate: 1.0
          safe_at_k: {k: %d, sample_rate: 1.0}
        """.formatted(K));
  }

  /** Every third generation thinks unsafely, so some samples and groups are unsafe. */
  private static GatewayHarness gateway(Path policies, AuditSink sink) {
    AtomicInteger generation = new AtomicInteger();
    ModelEmulatorOptions model = ModelEmulatorOptions.builder().tokensPerSecond(0)
        .scriptOverride(body -> {
          int n = generation.incrementAndGet();
          return Script.of((n % 3 == 0 ? UNSAFE_THINKING : SAFE_THINKING) + " Draft " + n + ".",
              ANSWER);
        }).build();
    return new GatewayHarness().model(model).guard(GuardEmulatorOptions.defaults()).audit(sink)
        .policies(policies).policy("k").start();
  }

  private static AuditSink fileAndKafka(Path dir, String topic, MeterRegistry registry) {
    AuditSinkConfig file = new AuditSinkConfig("file", dir.toString(), 256L << 20, false, false,
        10_000, 20);
    AuditSinkConfig kafka = AuditSinkConfig.kafka(
        KafkaSinkConfig.of(broker.bootstrapServers(), topic), 10_000);
    return AuditSinks.create(new AuditConfig(List.of(file, kafka), 8), registry,
        Clock.systemUTC());
  }

  private static TestClient.Stream ask(GatewayHarness h, String prompt) throws Exception {
    return h.client.stream("/v1/chat/completions",
        TestClient.chat(MODEL, prompt).put("temperature", 0.6).put("top_p", 0.95));
  }

  /** Sends {@code n} requests one after another, each must succeed; the total time in ms. */
  private static long timedRequests(GatewayHarness h, int n, String tag) throws Exception {
    long start = System.nanoTime();
    for (int i = 0; i < n; i++) {
      TestClient.Stream s = h.client.stream("/v1/chat/completions",
          TestClient.chat(MODEL, "How do I bake bread? (" + tag + " " + i + ")"));
      assertThat(s.status()).isEqualTo(200);
      assertThat(s.done()).isTrue();
    }
    return Math.max(1, (System.nanoTime() - start) / 1_000_000);
  }

  private static double written(MeterRegistry registry, String sink) {
    var counter = registry.find("thinkgate.audit.written").tag("sink", sink).counter();
    return counter == null ? 0 : counter.count();
  }

  private static double dropped(MeterRegistry registry) {
    return registry.find("thinkgate.audit.dropped").counters().stream()
        .mapToDouble(c -> c.count()).sum();
  }

  /** id → the exact line (without its line break) of every record in the directory. */
  private static Map<String, String> lines(Path dir) throws IOException {
    Map<String, String> out = new HashMap<>();
    for (Path file : jsonl(dir)) {
      for (String line : Files.readAllLines(file, StandardCharsets.UTF_8)) {
        if (!line.isBlank()) {
          out.put(new JsonObject(line).getString("id"), line);
        }
      }
    }
    return out;
  }

  private static Map<String, List<String>> idsByGroupInFileOrder(Path... dirs) throws IOException {
    Map<String, List<String>> out = new HashMap<>();
    for (Path dir : dirs) {
      for (Path file : jsonl(dir)) {
        for (String line : Files.readAllLines(file, StandardCharsets.UTF_8)) {
          if (!line.isBlank()) {
            JsonObject r = new JsonObject(line);
            out.computeIfAbsent(r.getString("group"), g -> new ArrayList<>()).add(r.getString("id"));
          }
        }
      }
    }
    return out;
  }

  private static List<Path> jsonl(Path dir) throws IOException {
    try (Stream<Path> files = Files.list(dir)) {
      return files.filter(p -> p.toString().endsWith(".jsonl")).sorted().toList();
    }
  }

  private static void await(BooleanSupplier condition, long timeoutMs, String what)
      throws InterruptedException {
    long deadline = System.currentTimeMillis() + timeoutMs;
    while (!condition.getAsBoolean()) {
      if (System.currentTimeMillis() > deadline) {
        throw new AssertionError("timed out waiting for " + what);
      }
      Thread.sleep(20);
    }
  }

  /** {@code thinkgate ...} run in this JVM with stdout and stderr captured. */
  record Cli(int exit, String out, String err) {
    static synchronized Cli run(String... args) {
      PrintStream oldOut = System.out;
      PrintStream oldErr = System.err;
      ByteArrayOutputStream out = new ByteArrayOutputStream();
      ByteArrayOutputStream err = new ByteArrayOutputStream();
      try {
        System.setOut(new PrintStream(out, true, StandardCharsets.UTF_8));
        System.setErr(new PrintStream(err, true, StandardCharsets.UTF_8));
        int exit = new CommandLine(new Main()).execute(args);
        return new Cli(exit, out.toString(StandardCharsets.UTF_8),
            err.toString(StandardCharsets.UTF_8));
      } finally {
        System.setOut(oldOut);
        System.setErr(oldErr);
      }
    }
  }
}
