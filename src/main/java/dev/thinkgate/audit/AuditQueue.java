package dev.thinkgate.audit;

import io.micrometer.core.instrument.Counter;
import io.micrometer.core.instrument.Gauge;
import io.micrometer.core.instrument.MeterRegistry;
import java.util.Collection;
import java.util.concurrent.ArrayBlockingQueue;
import java.util.concurrent.TimeUnit;

/**
 * The bounded queue between a sink's {@code offer} and its one worker thread, with the metrics
 * every sink reports the same way: {@code offer} never blocks; a full queue or a closed sink drops
 * the record and counts it in {@code thinkgate_audit_dropped_total{sink, reason}} ({@code
 * queue_full}, {@code closed}); {@code thinkgate_audit_queue_size{sink}} is its length. Used by
 * the file and the Kafka sinks. Thread-safe.
 */
final class AuditQueue {
  /** Wakes the worker for a prompt close; never handed to it. */
  private static final AuditRecord STOP = new AuditRecord(null, null, null, null, null, null,
      null, -1, null, null, null, null, null, null, null, null, null, null);

  private final ArrayBlockingQueue<AuditRecord> queue;
  private final MeterRegistry registry;
  private final String sink;
  private final Counter droppedFull;
  private final Counter droppedClosed;
  private volatile boolean closed;

  /** @param sink the {@code sink} tag, e.g. {@code file:/var/audit} */
  AuditQueue(int size, MeterRegistry registry, String sink) {
    if (size < 1) {
      throw new IllegalArgumentException("audit queueSize must be at least 1, got " + size);
    }
    this.queue = new ArrayBlockingQueue<>(size);
    this.registry = registry;
    this.sink = sink;
    this.droppedFull = dropped("queue_full");
    this.droppedClosed = dropped("closed");
    Gauge.builder("thinkgate.audit.queue.size", queue, ArrayBlockingQueue::size)
        .tag("sink", sink).register(registry);
  }

  /** {@code thinkgate_audit_dropped_total} of this sink for {@code reason}. */
  Counter dropped(String reason) {
    return Counter.builder("thinkgate.audit.dropped").tag("sink", sink).tag("reason", reason)
        .description("audit records dropped").register(registry);
  }

  /** Queues {@code record}, or drops and counts it when the queue is full or closed. */
  boolean offer(AuditRecord record) {
    if (closed) {
      droppedClosed.increment();
      return false;
    }
    if (!queue.offer(record)) {
      droppedFull.increment();
      return false;
    }
    return true;
  }

  /** The next record, waiting at most {@code timeout}; null when none came (or on a close). */
  AuditRecord poll(long timeout, TimeUnit unit) throws InterruptedException {
    AuditRecord r = queue.poll(timeout, unit);
    return r == STOP ? null : r;
  }

  /** Moves up to {@code max} queued records into {@code into}. */
  void drainTo(Collection<AuditRecord> into, int max) {
    queue.drainTo(into, max);
    into.removeIf(r -> r == STOP);
  }

  boolean isEmpty() {
    return queue.isEmpty();
  }

  int size() {
    return queue.size();
  }

  boolean closed() {
    return closed;
  }

  /** Stops accepting and wakes the worker; false when it was closed already. */
  boolean close() {
    if (closed) {
      return false;
    }
    closed = true;
    queue.offer(STOP);
    return true;
  }

  /** The records still queued after the worker stopped, dropped and counted as {@code closed}. */
  int dropRemaining() {
    int late = 0;
    for (AuditRecord r; (r = queue.poll()) != null; ) {
      late += r == STOP ? 0 : 1;
    }
    droppedClosed.increment(late);
    return late;
  }

  /** Counts one record the worker held but gave up at close. */
  void droppedAtClose() {
    droppedClosed.increment();
  }
}
