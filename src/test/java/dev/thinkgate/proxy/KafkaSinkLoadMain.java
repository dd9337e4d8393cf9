package dev.thinkgate.proxy;

import static dev.thinkgate.proxy.GatewayHarness.MODEL;

import dev.thinkgate.audit.AuditRecord;
import dev.thinkgate.audit.AuditSink;
import dev.thinkgate.audit.AuditSinks;
import dev.thinkgate.audit.KafkaTestBroker;
import dev.thinkgate.config.GatewayConfig.AuditConfig;
import dev.thinkgate.config.GatewayConfig.AuditSinkConfig;
import dev.thinkgate.config.GatewayConfig.KafkaSinkConfig;
import dev.thinkgate.emulator.ModelEmulatorOptions;
import dev.thinkgate.emulator.Script;
import io.micrometer.core.instrument.MeterRegistry;
import io.micrometer.core.instrument.simple.SimpleMeterRegistry;
import io.vertx.core.json.JsonObject;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Clock;
import java.util.HashSet;
import java.util.List;
import java.util.Locale;
import java.util.Set;
import java.util.concurrent.atomic.AtomicLong;
import java.util.concurrent.locks.LockSupport;

/**
 * Measures the Kafka audit sink against a real in-process KRaft broker (issue 14): first the sink
 * alone (how many records per second the broker acknowledges when offered as fast as the queue
 * takes them), then a gateway at full load (64 concurrent streaming clients against the instant
 * emulated model, one audit record per request), and whether any record was dropped or lost:
 * every accepted record is read back from the topic. Run once by hand:
 *
 * <pre>
 * mvn -B -o test-compile
 * java -cp target/test-classes:target/classes:$(cat cp.txt) dev.thinkgate.proxy.KafkaSinkLoadMain [seconds] [clients]
 * </pre>
 */
public final class KafkaSinkLoadMain {
  private static final String THINKING = "The user asks how to bake bread, so I list the"
      + " ingredients and the steps in order, and check each quantity twice. ";
  private static final String ANSWER = "Mix flour, water, yeast and salt, knead for ten minutes,"
      + " let it rise, then bake. ";

  public static void main(String[] args) throws Exception {
    int seconds = args.length > 0 ? Integer.parseInt(args[0]) : 20;
    int clients = args.length > 1 ? Integer.parseInt(args[1]) : 64;
    java.util.logging.Logger.getLogger("thinkgate.request").setLevel(java.util.logging.Level.WARNING);
    Path dir = Files.createTempDirectory("thinkgate-kafka-load");
    long brokerStart = System.nanoTime();
    try (KafkaTestBroker broker = KafkaTestBroker.start(dir.resolve("broker"))) {
      System.out.printf(Locale.ROOT, "broker started in %d ms%n",
          (System.nanoTime() - brokerStart) / 1_000_000);
      sinkAlone(broker, seconds / 2);
      // JIT warm-up of the gateway path (not reported), then without and with the sinks
      gatewayUnderLoad(broker, dir, seconds / 2, clients, false, false);
      gatewayUnderLoad(broker, dir, seconds, clients, false, true);
      gatewayUnderLoad(broker, dir, seconds, clients, true, true);
    }
  }

  /** Offers synthetic records as fast as the queue takes them; acknowledged records per second. */
  private static void sinkAlone(KafkaTestBroker broker, int seconds) throws Exception {
    String topic = KafkaTestBroker.topicName("capacity");
    broker.createTopic(topic, 4);
    MeterRegistry registry = new SimpleMeterRegistry();
    AuditSink sink = AuditSinks.create(new AuditConfig(List.of(AuditSinkConfig.kafka(
        KafkaSinkConfig.of(broker.bootstrapServers(), topic), 10_000)), 8), registry,
        Clock.systemUTC());
    JsonObject params = new JsonObject().put("temperature", 0.6);
    long start = System.nanoTime();
    long end = start + seconds * 1_000_000_000L;
    long offered = 0;
    long retries = 0;
    while (System.nanoTime() < end) {
      AuditRecord r = new AuditRecord("c" + offered, java.time.Instant.now().toString(), "t",
          "p", MODEL, "passthrough", "g" + offered / 5, (int) (offered % 5), params,
          "How do I bake bread?", THINKING.repeat(4), ANSWER.repeat(4), new JsonObject(), "pass",
          "pass", "stop", null, null);
      while (!sink.offer(r)) {
        retries++;
        LockSupport.parkNanos(20_000);
      }
      offered++;
    }
    long offerNanos = System.nanoTime() - start;
    sink.close();
    long totalNanos = System.nanoTime() - start;
    double written = counter(registry, "thinkgate.audit.written", "kafka:" + topic);
    int bytes = sinkRecordBytes(params);
    System.out.printf(Locale.ROOT, "sink alone: %d records of %d bytes offered in %.1f s, %.0f"
        + " acknowledged; %.0f records/s acknowledged (%.1f MB/s of JSON), queue-full retries"
        + " %d, delivery failures %.0f%n", offered, bytes, offerNanos / 1e9, written,
        written / (totalNanos / 1e9), written * bytes / (totalNanos / 1e9) / 1e6, retries,
        dropped(registry, "delivery_failed"));
  }

  private static int sinkRecordBytes(JsonObject params) {
    return new AuditRecord("c100000", java.time.Instant.now().toString(), "t", "p", MODEL,
        "passthrough", "g20000", 0, params, "How do I bake bread?", THINKING.repeat(4),
        ANSWER.repeat(4), new JsonObject(), "pass", "pass", "stop", null, null).toJson().encode()
        .getBytes(StandardCharsets.UTF_8).length;
  }

  /** The gateway at full load with a file and a Kafka sink; nothing may be dropped or lost. */
  private static void gatewayUnderLoad(KafkaTestBroker broker, Path dir, int seconds,
      int clients, boolean audit, boolean report) throws Exception {
    String topic = KafkaTestBroker.topicName("load");
    broker.createTopic(topic, 4);
    Path policies = Files.createDirectories(dir.resolve("policies"));
    Files.writeString(policies.resolve("a.yaml"), "audit:\n  sample_rate: 1.0\n");
    MeterRegistry registry = new SimpleMeterRegistry();
    Path files = dir.resolve("files");
    AuditSink both = audit ? AuditSinks.create(new AuditConfig(List.of(
        AuditSinkConfig.file(files.toString()),
        AuditSinkConfig.kafka(KafkaSinkConfig.of(broker.bootstrapServers(), topic), 10_000)), 8),
        registry, Clock.systemUTC()) : AuditSinks.discarding();
    AcceptedIdsAuditSink recording = new AcceptedIdsAuditSink(both);
    Set<String> accepted = recording.accepted();
    ModelEmulatorOptions model = ModelEmulatorOptions.builder().tokensPerSecond(0)
        .scriptOverride(body -> Script.of(THINKING.repeat(3), ANSWER.repeat(3))).build();
    AtomicLong ok = new AtomicLong();
    AtomicLong failed = new AtomicLong();
    String sink = "kafka:" + topic;
    double ackedDuringLoad;
    long loadNanos;
    long drainNanos;
    try (GatewayHarness h = new GatewayHarness().model(model).audit(recording)
        .policies(policies).policy("a").start()) {
      long start = System.nanoTime();
      long end = start + seconds * 1_000_000_000L;
      Thread[] threads = new Thread[clients];
      for (int c = 0; c < clients; c++) {
        int client = c;
        threads[c] = new Thread(() -> {
          for (int i = 0; System.nanoTime() < end; i++) {
            try {
              TestClient.Stream s = h.client.stream("/v1/chat/completions",
                  TestClient.chat(MODEL, "How do I bake bread? " + client + "/" + i));
              (s.status() == 200 && s.done() ? ok : failed).incrementAndGet();
            } catch (Exception e) {
              failed.incrementAndGet();
            }
          }
        });
        threads[c].start();
      }
      for (Thread t : threads) {
        t.join();
      }
      loadNanos = System.nanoTime() - start;
      ackedDuringLoad = counter(registry, "thinkgate.audit.written", sink);
      long drainStart = System.nanoTime();
      while (counter(registry, "thinkgate.audit.written", sink) < accepted.size()
          && System.nanoTime() - drainStart < 60_000_000_000L) {
        Thread.sleep(5);
      }
      drainNanos = System.nanoTime() - drainStart;
    } finally {
      recording.close();
    }
    if (!audit) {
      if (!report) {
        return;
      }
      System.out.printf(Locale.ROOT, "gateway without audit sinks: %d clients for %.1f s, %d"
          + " requests ok (%.0f/s), %d failed%n", clients, loadNanos / 1e9, ok.get(),
          ok.get() / (loadNanos / 1e9), failed.get());
      return;
    }
    double acked = counter(registry, "thinkgate.audit.written", sink);
    List<String> ids = broker.readAll(topic).stream()
        .map(m -> new JsonObject(new String(m.value(), StandardCharsets.UTF_8)).getString("id"))
        .toList();
    Set<String> inTopic = new HashSet<>(ids);
    System.out.printf(Locale.ROOT, "gateway under load: %d clients for %.1f s, %d requests ok"
        + " (%.0f/s), %d failed; %d records accepted by both sinks, %.0f acknowledged by Kafka"
        + " during the load (%.0f records/s), all acknowledged %d ms after the load ended%n",
        clients, loadNanos / 1e9, ok.get(), ok.get() / (loadNanos / 1e9), failed.get(),
        accepted.size(), ackedDuringLoad, ackedDuringLoad / (loadNanos / 1e9),
        drainNanos / 1_000_000);
    System.out.printf(Locale.ROOT, "dropped: kafka queue_full %.0f, closed %.0f,"
        + " delivery_failed %.0f; file sink written %.0f; topic holds %d messages, %d distinct,"
        + " accepted but missing from the topic: %d%n",
        dropped(registry, sink, "queue_full"), dropped(registry, sink, "closed"),
        dropped(registry, sink, "delivery_failed"),
        counter(registry, "thinkgate.audit.written", "file:" + files), ids.size(), inTopic.size(),
        accepted.stream().filter(id -> !inTopic.contains(id)).count());
    System.out.println(acked == accepted.size() && inTopic.containsAll(accepted)
        && ids.size() == inTopic.size() ? "RESULT: no record dropped or lost"
        : "RESULT: records missing");
  }

  private static double counter(MeterRegistry registry, String name, String sink) {
    var c = registry.find(name).tag("sink", sink).counter();
    return c == null ? 0 : c.count();
  }

  private static double dropped(MeterRegistry registry, String reason) {
    return registry.find("thinkgate.audit.dropped").tag("reason", reason).counters().stream()
        .mapToDouble(c -> c.count()).sum();
  }

  private static double dropped(MeterRegistry registry, String sink, String reason) {
    var c = registry.find("thinkgate.audit.dropped").tag("sink", sink).tag("reason", reason)
        .counter();
    return c == null ? 0 : c.count();
  }
}
