package dev.thinkgate.proxy;

import static org.assertj.core.api.Assertions.assertThat;

import dev.thinkgate.audit.AuditRecord;
import dev.thinkgate.audit.AuditSink;
import java.util.concurrent.LinkedBlockingQueue;
import java.util.concurrent.TimeUnit;

/** An audit sink for tests: collects records in memory, hands them out in order. */
final class RecordingAuditSink implements AuditSink {
  private final LinkedBlockingQueue<AuditRecord> queue = new LinkedBlockingQueue<>();
  private final long waitSeconds;

  /** @param waitSeconds how long {@link #next()} waits for a record */
  RecordingAuditSink(long waitSeconds) {
    this.waitSeconds = waitSeconds;
  }

  @Override
  public boolean offer(AuditRecord record) {
    return queue.offer(record);
  }

  @Override
  public void close() {}

  /** The records offered and not taken yet, taken now. */
  java.util.List<AuditRecord> takeAll() {
    java.util.List<AuditRecord> all = new java.util.ArrayList<>();
    queue.drainTo(all);
    return all;
  }

  /** The next record; fails the test when none comes in time. */
  AuditRecord next() throws InterruptedException {
    AuditRecord r = queue.poll(waitSeconds, TimeUnit.SECONDS);
    assertThat(r).as("an audit record").isNotNull();
    return r;
  }
}
