package dev.thinkgate.cli;

import java.io.PrintStream;
import java.util.concurrent.ArrayBlockingQueue;
import java.util.concurrent.BlockingQueue;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicLong;
import java.util.logging.ErrorManager;
import java.util.logging.Handler;
import java.util.logging.LogRecord;

/**
 * Writes log lines to stderr from a daemon thread of its own, so a logging event-loop thread never
 * waits on the terminal or on a slow log collector reading the pipe. Lines are formatted by the
 * caller and queued; when the queue is full the line is dropped and counted, and the count is
 * reported in the next line written. {@link #close()} drains what is queued (bounded wait).
 */
final class AsyncStderrHandler extends Handler {
  static final int QUEUE_LINES = 8192;
  private static final long CLOSE_DRAIN_MS = 2_000;

  private final BlockingQueue<String> queue = new ArrayBlockingQueue<>(QUEUE_LINES);
  private final AtomicLong dropped = new AtomicLong();
  private final AtomicLong droppedReported = new AtomicLong();
  private final PrintStream out;
  private final Thread writer;
  private volatile boolean closed;

  AsyncStderrHandler(PrintStream out) {
    this.out = out;
    this.writer = new Thread(this::drain, "thinkgate-log-writer");
    writer.setDaemon(true);
    writer.start();
  }

  @Override
  public void publish(LogRecord record) {
    if (closed || !isLoggable(record)) {
      return;
    }
    String line;
    try {
      line = getFormatter().format(record);
    } catch (RuntimeException e) {
      reportError("log record not formattable", e, ErrorManager.FORMAT_FAILURE);
      return;
    }
    if (!queue.offer(line)) {
      dropped.incrementAndGet();
    }
  }

  /** Lines dropped because the writer fell behind and not yet reported in the output. */
  long dropped() {
    return dropped.get();
  }

  /** Lines dropped and already reported in the output. */
  long droppedReported() {
    return droppedReported.get();
  }

  private void drain() {
    try {
      while (!closed || !queue.isEmpty()) {
        String line = queue.poll(100, TimeUnit.MILLISECONDS);
        if (line == null) {
          continue;
        }
        long lost = dropped.getAndSet(0);
        if (lost > 0) {
          droppedReported.addAndGet(lost);
          out.print("(" + lost + " log lines dropped: stderr was not keeping up)"
              + System.lineSeparator());
        }
        out.print(line);
        if (queue.isEmpty()) {
          out.flush();
        }
      }
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
    } finally {
      out.flush();
    }
  }

  @Override
  public void flush() {
    out.flush();
  }

  @Override
  public void close() {
    closed = true;
    try {
      writer.join(CLOSE_DRAIN_MS);
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
    }
  }
}
