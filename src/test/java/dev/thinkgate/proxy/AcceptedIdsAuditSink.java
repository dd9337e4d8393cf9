package dev.thinkgate.proxy;

import dev.thinkgate.audit.AuditRecord;
import dev.thinkgate.audit.AuditSink;
import java.util.Set;
import java.util.concurrent.ConcurrentHashMap;

/** A sink for tests that offers to another and keeps the ids of the records it accepted. */
final class AcceptedIdsAuditSink implements AuditSink {
  private final AuditSink delegate;
  private final Set<String> accepted = ConcurrentHashMap.newKeySet();

  AcceptedIdsAuditSink(AuditSink delegate) {
    this.delegate = delegate;
  }

  @Override
  public boolean offer(AuditRecord record) {
    boolean ok = delegate.offer(record);
    if (ok) {
      accepted.add(record.id());
    }
    return ok;
  }

  @Override
  public boolean discardsAll() {
    return delegate.discardsAll();
  }

  @Override
  public void close() {
    delegate.close();
  }

  /** The ids accepted so far (a live view). */
  Set<String> accepted() {
    return accepted;
  }
}
