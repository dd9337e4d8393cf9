package dev.thinkgate.audit;

import dev.thinkgate.config.GatewayConfig.AuditSinkConfig;
import dev.thinkgate.config.GatewayConfig.KafkaSinkConfig;
import dev.thinkgate.config.KafkaProducerSettings;
import io.micrometer.core.instrument.Counter;
import io.micrometer.core.instrument.Gauge;
import io.micrometer.core.instrument.MeterRegistry;
import java.nio.charset.StandardCharsets;
import java.time.Instant;
import java.time.format.DateTimeParseException;
import java.util.Objects;
import java.util.Properties;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.concurrent.atomic.AtomicLong;
import java.util.function.Function;
import java.util.function.LongSupplier;
import org.apache.kafka.clients.producer.KafkaProducer;
import org.apache.kafka.clients.producer.Producer;
import org.apache.kafka.clients.producer.ProducerRecord;
import org.apache.kafka.common.errors.TimeoutException;

/**
 * Writes audit records to a Kafka topic, one message per record: the key is the record's
 * {@code group} (so the K samples of one prompt land in one partition, in the order they were
 * offered), the value is the same JSON text the file sink writes on one line (without the line
 * break), the message timestamp is the record's {@code ts}.
 *
 * <p>{@link #offer} never blocks: records go through a bounded queue to one sender thread; a full
 * queue or a closed sink drops the record and counts it ({@code thinkgate_audit_dropped_total}
 * with {@code reason} {@code queue_full} or {@code closed}). Only the sender thread calls the
 * producer's {@code send}, which may wait up to {@code max.block.ms} for metadata or buffer room;
 * when the producer refuses the record that way (broker away, buffer full; {@code send} reports it
 * through the callback, synchronously) the sender keeps the record and tries it again, so during
 * a broker outage records wait in the producer's buffer and then in the queue, and only a full
 * queue drops new records.
 * Once sent, the producer ({@code acks=all}, idempotent, retrying until {@code
 * delivery.timeout.ms}) owns the record: {@code thinkgate_audit_written_total} counts records the
 * broker acknowledged, {@code reason=delivery_failed} those it gave up on.
 *
 * <p>{@link #close} stops accepting, sends what is queued and waits for acknowledgements, all
 * within {@code close_timeout_ms}; what is still unacknowledged then is counted as dropped.
 */
public final class KafkaAuditSink implements AuditSink {

  private static final System.Logger LOG = System.getLogger(KafkaAuditSink.class.getName());
  private static final long RETRY_PAUSE_MS = 50;

  private final String topic;
  private final long closeTimeoutMs;
  private final LongSupplier nanoClock;
  private final AuditQueue queue;
  private final Producer<String, byte[]> producer;
  private final Counter written;
  private final Counter droppedDelivery;
  private final Counter droppedEncode;
  private final Counter sendBlocked;
  private final AtomicLong unacknowledged = new AtomicLong();
  private final AtomicBoolean brokerAway = new AtomicBoolean();
  private final Thread sender;
  // Owned by the sender thread: a refusal reported synchronously by the send in progress.
  private boolean sending;
  private Exception refusedNow;
  /** Set by {@link #close} past its deadline: the sender gives up what it still holds. */
  private volatile boolean abandon;

  /** Builds the producer from the sink's settings and starts the sender thread. */
  public KafkaAuditSink(AuditSinkConfig config, MeterRegistry registry) {
    this(config, registry, KafkaProducer::new, System::nanoTime);
  }

  /**
   * @param producers makes the producer from its properties (a {@code MockProducer} in tests)
   */
  KafkaAuditSink(AuditSinkConfig config, MeterRegistry registry,
      Function<Properties, Producer<String, byte[]>> producers, LongSupplier nanoClock) {
    KafkaSinkConfig kafka = Objects.requireNonNull(config.kafka(), "kafka settings");
    this.topic = Objects.requireNonNull(kafka.topic(), "kafka topic");
    this.closeTimeoutMs = kafka.closeTimeoutMs();
    this.nanoClock = nanoClock;
    String sink = "kafka:" + topic;
    this.queue = new AuditQueue(config.queueSize(), registry, sink);
    this.written = Counter.builder("thinkgate.audit.written").tag("sink", sink)
        .description("audit records written to the sink (Kafka: acknowledged by the broker)")
        .register(registry);
    this.droppedDelivery = queue.dropped("delivery_failed");
    this.droppedEncode = queue.dropped("encode_error");
    this.sendBlocked = Counter.builder("thinkgate.audit.kafka.send.blocked").tag("sink", sink)
        .description("sends that waited max.block.ms for metadata or buffer room; the record was"
            + " kept and sent again")
        .register(registry);
    Gauge.builder("thinkgate.audit.kafka.unacknowledged", unacknowledged, AtomicLong::get)
        .tag("sink", sink).description("records handed to the producer, not yet acknowledged")
        .register(registry);
    this.producer = producers.apply(KafkaProducerSettings.of(kafka));
    this.sender = new Thread(this::sendLoop, "thinkgate-audit-kafka");
    sender.setDaemon(true);
    sender.start();
  }

  @Override
  public boolean offer(AuditRecord record) {
    return queue.offer(record);
  }

  /**
   * Records accepted and neither acknowledged nor dropped yet: queued or in flight (not counting
   * the one record the sender may be holding while the producer refuses it).
   */
  long pending() {
    return queue.size() + unacknowledged.get();
  }

  private void sendLoop() {
    AuditRecord held = null;
    while (!abandon) {
      try {
        if (held == null) {
          held = queue.poll(100, TimeUnit.MILLISECONDS);
          if (held == null) {
            if (queue.closed() && queue.isEmpty()) {
              break;
            }
            continue;
          }
        }
        ProducerRecord<String, byte[]> message = message(held);
        if (message == null) {
          held = null;
          continue;
        }
        unacknowledged.incrementAndGet();
        refusedNow = null;
        sending = true;
        try {
          producer.send(message, (metadata, error) -> acknowledged(error));
        } finally {
          sending = false;
        }
        if (refusedNow instanceof TimeoutException e) {
          // No metadata or no buffer room within max.block.ms: the producer never took the
          // record. Keep it and try again; the queue fills behind it meanwhile.
          sendBlocked.increment();
          if (brokerAway.compareAndSet(false, true)) {
            LOG.log(System.Logger.Level.WARNING, "kafka audit sink " + topic
                + ": broker unreachable or buffer full, holding records (" + e.getMessage() + ")");
          }
          Thread.sleep(RETRY_PAUSE_MS);
          continue;
        }
        if (refusedNow != null) {
          droppedDelivery.increment();
          LOG.log(System.Logger.Level.ERROR, "kafka audit sink " + topic + ": record refused: "
              + refusedNow);
        } else if (brokerAway.compareAndSet(true, false)) {
          LOG.log(System.Logger.Level.INFO, "kafka audit sink " + topic + ": sending again");
        }
        held = null;
      } catch (InterruptedException e) {
        break;
      } catch (RuntimeException e) {
        // send threw (producer closed, interrupted by a close past its deadline, a serializer
        // failed): this record cannot go, the next one may.
        unacknowledged.decrementAndGet();
        if (abandon) {
          queue.droppedAtClose();
        } else {
          droppedDelivery.increment();
        }
        held = null;
        LOG.log(System.Logger.Level.ERROR, "kafka audit sink " + topic + ": record dropped: " + e);
      }
    }
    if (held != null) {
      queue.droppedAtClose();
    }
  }

  private void acknowledged(Exception error) {
    unacknowledged.decrementAndGet();
    if (error != null && sending && Thread.currentThread() == sender) {
      // KafkaProducer.send reports a refusal (metadata or buffer wait timed out, record too
      // large) through the callback, synchronously, on the calling thread: the sender decides.
      refusedNow = error;
      return;
    }
    if (error == null) {
      written.increment();
    } else {
      droppedDelivery.increment();
      LOG.log(System.Logger.Level.WARNING, "kafka audit sink " + topic
          + ": record not delivered: " + error);
    }
  }

  private ProducerRecord<String, byte[]> message(AuditRecord record) {
    try {
      byte[] value = record.toJson().encode().getBytes(StandardCharsets.UTF_8);
      String key = record.group() != null ? record.group() : record.id();
      return new ProducerRecord<>(topic, null, timestamp(record.ts()), key, value);
    } catch (RuntimeException e) {
      LOG.log(System.Logger.Level.WARNING, "audit record not encodable, dropped: " + e);
      droppedEncode.increment();
      return null;
    }
  }

  /** The record's own time, so that reading a topic from a time matches its {@code ts}. */
  private static Long timestamp(String ts) {
    if (ts == null) {
      return null;
    }
    try {
      return Instant.parse(ts).toEpochMilli();
    } catch (DateTimeParseException e) {
      return null;
    }
  }

  /**
   * Stops accepting, sends what is queued and waits for the broker's acknowledgements, for at
   * most {@code close_timeout_ms} in all; records still queued or unacknowledged at the deadline
   * are counted as dropped.
   */
  @Override
  public void close() {
    long deadline = nanoClock.getAsLong() + TimeUnit.MILLISECONDS.toNanos(closeTimeoutMs);
    if (!queue.close()) {
      return;
    }
    try {
      sender.join(Math.max(1, remainingMs(deadline)));
      if (sender.isAlive()) {
        abandon = true;
        sender.interrupt();
        sender.join(KafkaProducerSettings.DEFAULT_MAX_BLOCK_MS + 1_000);
      }
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
    }
    int late = queue.dropRemaining();
    // close(timeout) waits for in-flight records; those it then abandons fail their callbacks
    // (counted as delivery_failed).
    producer.close(java.time.Duration.ofMillis(remainingMs(deadline)));
    long unacked = unacknowledged.get();
    if (late > 0 || unacked > 0) {
      LOG.log(System.Logger.Level.WARNING, "kafka audit sink " + topic + " closed after "
          + closeTimeoutMs + " ms with " + late + " records unsent and " + unacked
          + " unacknowledged");
    }
  }

  private long remainingMs(long deadline) {
    return Math.max(0, TimeUnit.NANOSECONDS.toMillis(deadline - nanoClock.getAsLong()));
  }
}
