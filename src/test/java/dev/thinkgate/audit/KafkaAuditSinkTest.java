package dev.thinkgate.audit;

import static org.assertj.core.api.Assertions.assertThat;

import dev.thinkgate.config.GatewayConfig.AuditSinkConfig;
import dev.thinkgate.config.GatewayConfig.KafkaSinkConfig;
import io.micrometer.core.instrument.MeterRegistry;
import io.micrometer.core.instrument.simple.SimpleMeterRegistry;
import io.vertx.core.json.JsonObject;
import java.nio.charset.StandardCharsets;
import java.time.Instant;
import java.util.List;
import java.util.Map;
import java.util.concurrent.Future;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.function.BooleanSupplier;
import org.apache.kafka.clients.producer.Callback;
import org.apache.kafka.clients.producer.MockProducer;
import org.apache.kafka.clients.producer.ProducerRecord;
import org.apache.kafka.clients.producer.RecordMetadata;
import org.apache.kafka.common.errors.RecordTooLargeException;
import org.apache.kafka.common.errors.TimeoutException;
import org.apache.kafka.common.serialization.ByteArraySerializer;
import org.apache.kafka.common.serialization.StringSerializer;
import org.junit.jupiter.api.Test;

class KafkaAuditSinkTest {
  private static final String TOPIC = "audit";
  private static final String SINK = "kafka:" + TOPIC;
  private final MeterRegistry registry = new SimpleMeterRegistry();

  /**
   * Refuses sends the way KafkaProducer does when metadata or buffer room does not come within
   * max.block.ms: the callback runs at once on the calling thread with a TimeoutException.
   */
  static final class RefusingProducer extends MockProducer<String, byte[]> {
    final AtomicBoolean refuse = new AtomicBoolean();
    final AtomicInteger refused = new AtomicInteger();
    volatile RuntimeException refusal = new TimeoutException("Topic audit not present in metadata");

    RefusingProducer(boolean autoComplete) {
      super(autoComplete, null, new StringSerializer(), new ByteArraySerializer());
    }

    @Override
    public synchronized Future<RecordMetadata> send(ProducerRecord<String, byte[]> record,
        Callback callback) {
      if (refuse.get()) {
        refused.incrementAndGet();
        callback.onCompletion(null, refusal);
        return new java.util.concurrent.CompletableFuture<>();
      }
      return super.send(record, callback);
    }
  }

  private KafkaAuditSink sink(RefusingProducer producer, int queue, long closeTimeoutMs) {
    KafkaSinkConfig kafka = new KafkaSinkConfig("127.0.0.1:1", TOPIC, "zstd", closeTimeoutMs,
        Map.of());
    return new KafkaAuditSink(AuditSinkConfig.kafka(kafka, queue), registry, props -> producer,
        System::nanoTime);
  }

  static AuditRecord record(String id, String group, int sample) {
    return new AuditRecord(id, "2026-11-29T02:00:00.123Z", "t", "p", "m", "zerothink", group,
        sample, new JsonObject().put("temperature", 0.6), "prompt", "thinking", "answer",
        new JsonObject().put("thinking", null), "pass", "pass", "stop", null, null);
  }

  @Test
  void aRecordIsKeyedByItsGroupCarriesTheFileLineAndItsOwnTime() throws Exception {
    RefusingProducer producer = new RefusingProducer(true);
    KafkaAuditSink sink = sink(producer, 100, 1_000);
    AuditRecord a = record("r1", "g1", 0);
    AuditRecord b = record("r2", "g1", 1);
    AuditRecord c = record("r3", null, 0);

    assertThat(sink.offer(a)).isTrue();
    assertThat(sink.offer(b)).isTrue();
    assertThat(sink.offer(c)).isTrue();
    await(() -> count("thinkgate.audit.written") == 3);
    sink.close();

    List<ProducerRecord<String, byte[]>> sent = producer.history();
    assertThat(sent).extracting(ProducerRecord::key).containsExactly("g1", "g1", "r3");
    assertThat(sent).extracting(ProducerRecord::topic).containsOnly(TOPIC);
    assertThat(new String(sent.get(0).value(), StandardCharsets.UTF_8))
        .isEqualTo(a.toJson().encode());
    assertThat(sent.get(1).timestamp())
        .isEqualTo(Instant.parse("2026-11-29T02:00:00.123Z").toEpochMilli());
    assertThat(producer.closed()).isTrue();
  }

  @Test
  void aProducerThatCannotTakeRecordsFillsTheQueueThenDropsAndCountsWithoutBlocking()
      throws Exception {
    RefusingProducer producer = new RefusingProducer(true);
    producer.refuse.set(true);
    KafkaAuditSink sink = sink(producer, 4, 1_000);

    int accepted = 0;
    java.util.List<String> acceptedGroups = new java.util.ArrayList<>();
    long start = System.nanoTime();
    for (int i = 0; i < 20; i++) {
      if (sink.offer(record("r" + i, "g" + i, 0))) {
        accepted++;
        acceptedGroups.add("g" + i);
      }
    }
    long offerMs = (System.nanoTime() - start) / 1_000_000;
    await(() -> producer.refused.get() >= 2);

    assertThat(offerMs).as("20 offers to a stuck producer").isLessThan(200);
    assertThat(count("thinkgate.audit.dropped", "queue_full")).isEqualTo(20 - accepted);
    assertThat(accepted).isBetween(4, 5);
    assertThat(count("thinkgate.audit.kafka.send.blocked")).isPositive();
    assertThat(count("thinkgate.audit.dropped", "delivery_failed")).isZero();

    // the broker is back: every accepted record goes out, in the order it was offered
    producer.refuse.set(false);
    int acceptedTotal = accepted;
    await(() -> count("thinkgate.audit.written") == acceptedTotal);
    // (which ones were accepted depends on when the sender took the first from the queue)
    assertThat(producer.history()).extracting(ProducerRecord::key)
        .containsExactlyElementsOf(acceptedGroups);
    sink.close();
  }

  @Test
  void aRecordTheBrokerNeverTakesIsCountedAsNotDelivered() throws Exception {
    RefusingProducer producer = new RefusingProducer(false);
    KafkaAuditSink sink = sink(producer, 10, 1_000);
    sink.offer(record("r1", "g", 0));
    sink.offer(record("r2", "g", 1));
    await(() -> producer.history().size() == 2);
    assertThat(sink.pending()).isEqualTo(2);

    producer.errorNext(new org.apache.kafka.common.errors.NotEnoughReplicasException("x"));
    producer.completeNext();

    await(() -> count("thinkgate.audit.written") == 1);
    assertThat(count("thinkgate.audit.dropped", "delivery_failed")).isEqualTo(1);
    assertThat(sink.pending()).isZero();

    // refused for good at send time (too large): dropped and counted, the sender moves on
    producer.refusal = new RecordTooLargeException("too large");
    producer.refuse.set(true);
    sink.offer(record("r3", "g", 2));
    await(() -> count("thinkgate.audit.dropped", "delivery_failed") == 2);
    producer.refuse.set(false);
    sink.offer(record("r4", "g", 3));
    await(() -> producer.history().size() == 3);
    producer.completeNext();
    await(() -> count("thinkgate.audit.written") == 2);
    sink.close();
  }

  @Test
  void closeGivesUpAtItsDeadlineAndLaterOffersAreRefused() throws Exception {
    RefusingProducer producer = new RefusingProducer(true);
    producer.refuse.set(true);
    KafkaAuditSink sink = sink(producer, 10, 300);
    for (int i = 0; i < 5; i++) {
      assertThat(sink.offer(record("r" + i, "g", i))).isTrue();
    }

    long start = System.nanoTime();
    sink.close();
    long closeMs = (System.nanoTime() - start) / 1_000_000;

    assertThat(closeMs).isBetween(250L, 3_000L);
    // one held by the sender, four still queued: all counted, none silently lost
    assertThat(count("thinkgate.audit.dropped", "closed")).isEqualTo(5);
    assertThat(sink.offer(record("late", "g", 9))).isFalse();
    assertThat(count("thinkgate.audit.dropped", "closed")).isEqualTo(6);
    assertThat(producer.closed()).isTrue();
  }

  private double count(String name) {
    return registry.find(name).tag("sink", SINK).counters().stream()
        .mapToDouble(c -> c.count()).sum();
  }

  private double count(String name, String reason) {
    var c = registry.find(name).tag("sink", SINK).tag("reason", reason).counter();
    return c == null ? 0 : c.count();
  }

  private static void await(BooleanSupplier condition) throws InterruptedException {
    long deadline = System.currentTimeMillis() + 5_000;
    while (!condition.getAsBoolean()) {
      if (System.currentTimeMillis() > deadline) {
        throw new AssertionError("condition not met within 5 s");
      }
      Thread.sleep(5);
    }
  }
}
