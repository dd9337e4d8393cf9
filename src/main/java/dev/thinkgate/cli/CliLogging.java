package dev.thinkgate.cli;

import java.util.logging.Formatter;
import java.util.logging.Level;
import java.util.logging.LogManager;
import java.util.logging.LogRecord;
import java.util.logging.Logger;

/**
 * One line per log record on stderr: time, level, logger, message; written from a thread of its
 * own ({@link AsyncStderrHandler}), never from the event loop that logs.
 */
final class CliLogging {
  // JUL holds loggers weakly: keep the ones we configure, or their levels are lost on GC.
  private static final Logger REQUESTS = Logger.getLogger("thinkgate.request");
  private static final Logger NETTY = Logger.getLogger("io.netty");
  private static final Logger VERTX = Logger.getLogger("io.vertx");
  private static final Logger MICROMETER = Logger.getLogger("io.micrometer");

  private CliLogging() {}

  static void configure() {
    LogManager.getLogManager().reset();
    Logger root = Logger.getLogger("");
    AsyncStderrHandler handler = new AsyncStderrHandler(System.err);
    handler.setLevel(Level.ALL);
    handler.setFormatter(new Formatter() {
      @Override
      public String format(LogRecord r) {
        String msg = formatMessage(r);
        String thrown = r.getThrown() == null ? "" : " (" + r.getThrown() + ")";
        return java.time.Instant.ofEpochMilli(r.getMillis()) + " " + r.getLevel() + " "
            + r.getLoggerName() + " " + msg + thrown + System.lineSeparator();
      }
    });
    root.addHandler(handler);
    root.setLevel(Level.INFO);
    NETTY.setLevel(Level.WARNING);
    VERTX.setLevel(Level.WARNING);
    // Two HTTP servers on one Vert.x (demo, bench) make Micrometer warn about shared gauges.
    MICROMETER.setLevel(Level.SEVERE);
  }

  /** Quiets the per-request lines (the demo prints its own narrative). */
  static void quietRequests() {
    REQUESTS.setLevel(Level.WARNING);
  }
}
