package dev.thinkgate.audit;

/**
 * Where audit records go. {@link #offer} never blocks the caller: a full sink drops the record and
 * counts it. A Kafka (or any other) sink implements this interface.
 */
public interface AuditSink extends AutoCloseable {
  /** @return false when the record was dropped (queue full or sink closed) */
  boolean offer(AuditRecord record);

  /**
   * True for a sink that keeps nothing (no sink configured): the gateway then builds no records,
   * spends no guard call on their whole-response verdicts and generates no Safe@K samples.
   */
  default boolean discardsAll() {
    return false;
  }

  /** Flushes what is queued and releases files; blocks, so never call it on an event loop. */
  @Override
  void close();
}
