package dev.thinkgate.cli;

import static org.assertj.core.api.Assertions.assertThat;

import java.io.ByteArrayOutputStream;
import java.io.OutputStream;
import java.io.PrintStream;
import java.nio.charset.StandardCharsets;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.TimeUnit;
import java.util.logging.Formatter;
import java.util.logging.Level;
import java.util.logging.LogRecord;
import org.junit.jupiter.api.Test;

class AsyncStderrHandlerTest {
  private static final Formatter PLAIN = new Formatter() {
    @Override
    public String format(LogRecord r) {
      return r.getMessage() + "\n";
    }
  };

  @Test
  void everyLineIsWrittenInOrderByClose() {
    ByteArrayOutputStream sink = new ByteArrayOutputStream();
    AsyncStderrHandler handler = handler(new PrintStream(sink, false, StandardCharsets.UTF_8));

    for (int i = 0; i < 1000; i++) {
      handler.publish(new LogRecord(Level.INFO, "line " + i));
    }
    handler.close();

    String[] lines = sink.toString(StandardCharsets.UTF_8).split("\n");
    assertThat(lines).hasSize(1000);
    assertThat(lines[0]).isEqualTo("line 0");
    assertThat(lines[999]).isEqualTo("line 999");
  }

  @Test
  void aStuckStderrNeverBlocksTheLoggerAndDropsAreReported() throws Exception {
    // Given stderr that blocks (a log collector that stopped reading the pipe)
    CountDownLatch release = new CountDownLatch(1);
    ByteArrayOutputStream written = new ByteArrayOutputStream();
    OutputStream stuck = new OutputStream() {
      @Override
      public void write(int b) {
        awaitRelease();
        written.write(b);
      }

      @Override
      public void write(byte[] b, int off, int len) {
        awaitRelease();
        written.write(b, off, len);
      }

      private void awaitRelease() {
        try {
          release.await(10, TimeUnit.SECONDS);
        } catch (InterruptedException e) {
          Thread.currentThread().interrupt();
        }
      }
    };
    AsyncStderrHandler handler = handler(new PrintStream(stuck, false, StandardCharsets.UTF_8));

    // When far more lines than the queue holds are logged (three queues' worth, so the overflow
    // does not depend on how many lines the writer took before stderr blocked it)
    long start = System.nanoTime();
    int lines = 3 * AsyncStderrHandler.QUEUE_LINES;
    for (int i = 0; i < lines; i++) {
      handler.publish(new LogRecord(Level.INFO, "line " + i));
    }
    long publishMs = (System.nanoTime() - start) / 1_000_000;

    // Then logging returned at once, the overflow was counted, and it is reported once stderr moves
    assertThat(publishMs).isLessThan(5_000);
    assertThat(handler.dropped() + handler.droppedReported())
        .isGreaterThanOrEqualTo(AsyncStderrHandler.QUEUE_LINES);
    release.countDown();
    handler.close();
    // every dropped line is reported, in one or more report lines, and every other line written
    String out = written.toString(StandardCharsets.UTF_8);
    long lineCount = out.lines().filter(l -> l.startsWith("line ")).count();
    long reported = out.lines().filter(l -> l.startsWith("("))
        .mapToLong(l -> Long.parseLong(l.substring(1, l.indexOf(' ')))).sum();
    assertThat(out).contains(" log lines dropped: stderr was not keeping up)\n");
    assertThat(reported).isEqualTo(lines - lineCount).isEqualTo(handler.droppedReported());
    assertThat(out).contains("line 0\n");
  }

  private static AsyncStderrHandler handler(PrintStream out) {
    AsyncStderrHandler handler = new AsyncStderrHandler(out);
    handler.setFormatter(PLAIN);
    return handler;
  }
}
