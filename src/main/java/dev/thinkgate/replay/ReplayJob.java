package dev.thinkgate.replay;

import dev.thinkgate.audit.AuditReader;
import dev.thinkgate.audit.ProgressBar;
import dev.thinkgate.policy.Policy;
import io.vertx.core.json.JsonArray;
import io.vertx.core.json.JsonObject;
import java.io.IOException;
import java.io.OutputStream;
import java.io.PrintStream;
import java.io.UncheckedIOException;
import java.nio.channels.FileChannel;
import java.nio.charset.StandardCharsets;
import java.nio.file.AtomicMoveNotSupportedException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.nio.file.StandardOpenOption;
import java.util.List;
import java.util.Map;
import java.util.TreeMap;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.Semaphore;
import java.util.concurrent.TimeUnit;
import java.util.function.LongSupplier;

/**
 * {@code thinkgate replay}: every record of the inputs, replayed under one policy, written in
 * input order to {@code OUT/replay-<policy>.jsonl}. At most {@code concurrency} records are in
 * flight and at most that many finished ones wait for an earlier one, so memory does not grow with
 * the input (files are streamed, gzip included).
 *
 * <p><b>Resuming.</b> {@code OUT/replay-state.json} holds how many input records are accounted
 * for and the output length that covers exactly them; it is replaced atomically after the output
 * is flushed, at most once a second. A run into a directory with a state file for the same policy
 * and inputs truncates the output to that length (dropping a line cut short by a crash) and skips
 * that many records; a state file for another policy or other inputs is refused, never
 * overwritten. A finished run says {@code "complete": true}; running it again does nothing.
 */
public final class ReplayJob {

  /** What a run did. */
  public record Summary(long read, long resumedPast, long replayed, Map<String, Long> skipped,
      Map<String, Long> actions, long failed, long badLines, long elapsedMs, Path output) {}

  static final String STATE = "replay-state.json";
  private static final long STATE_EVERY_NANOS = TimeUnit.SECONDS.toNanos(1);

  private final RecordReplayer replayer;
  private final Policy policy;
  private final int concurrency;
  private final PrintStream err;
  private final boolean console;
  private final LongSupplier nanoClock;

  public ReplayJob(RecordReplayer replayer, Policy policy, int concurrency, PrintStream err,
      boolean console, LongSupplier nanoClock) {
    this.replayer = replayer;
    this.policy = policy;
    this.concurrency = Math.max(1, concurrency);
    this.err = err;
    this.console = console;
    this.nanoClock = nanoClock;
  }

  public static Path output(Path outDir, String policy) {
    return outDir.resolve("replay-" + policy + ".jsonl");
  }

  /** Replays {@code inputs} into {@code outDir}; blocks until done. */
  public Summary run(List<Path> inputs, Path outDir) throws IOException, InterruptedException {
    long start = nanoClock.getAsLong();
    Files.createDirectories(outDir);
    List<Path> files = AuditReader.files(inputs);
    JsonArray inputNames = new JsonArray();
    files.forEach(f -> inputNames.add(f.toAbsolutePath().normalize().toString()));
    Path out = output(outDir, policy.name());
    Path statePath = outDir.resolve(STATE);
    long skip = 0;
    long outputBytes = 0;
    if (Files.exists(statePath)) {
      JsonObject state = new JsonObject(Files.readString(statePath));
      if (!policy.name().equals(state.getString("policy"))
          || !inputNames.equals(state.getJsonArray("inputs"))) {
        throw new IllegalArgumentException(statePath + " belongs to a replay of policy '"
            + state.getString("policy") + "' over " + state.getJsonArray("inputs")
            + "; resume it with the same policy and inputs, or choose another --out");
      }
      skip = state.getLong("records", 0L);
      outputBytes = state.getLong("output_bytes", 0L);
      if (!Files.exists(out) || Files.size(out) < outputBytes) {
        throw new IllegalStateException(out + " is shorter than " + statePath
            + " says (" + outputBytes + " bytes); it was changed outside the replay");
      }
      if (state.getBoolean("complete", false)) {
        return new Summary(0, skip, 0, Map.of(), Map.of(), 0, 0, 0, out);
      }
      err.println("replay: resuming after " + skip + " records (" + outputBytes + " bytes of "
          + out.getFileName() + ")");
    }
    try (FileChannel ch = FileChannel.open(out, StandardOpenOption.CREATE,
        StandardOpenOption.WRITE)) {
      ch.truncate(outputBytes);
    }
    // A slot is taken per record read and given back when its result is written, so records in
    // flight plus finished ones waiting for an earlier one never exceed the concurrency.
    Semaphore slots = new Semaphore(concurrency);
    Writer writer = new Writer(out, statePath, inputNames, skip, outputBytes, slots);
    long[] seq = {0};
    AuditReader reader = new AuditReader(err, total -> new ProgressBar(
        "replay " + policy.name(), total, ProgressBar.Unit.BYTES, err, console, nanoClock));
    final long skipped = skip;
    AuditReader.Stats stats;
    try {
      stats = reader.read(files, json -> {
        long n = seq[0]++;
        if (n < skipped) {
          return;
        }
        try {
          slots.acquire();
        } catch (InterruptedException e) {
          Thread.currentThread().interrupt();
          throw new IllegalStateException("interrupted", e);
        }
        writer.check();
        replayer.replay(json, policy).onComplete(ar ->
            writer.done(n, ar.succeeded() ? ar.result() : null, ar.cause()));
      });
      slots.acquire(concurrency);
      slots.release(concurrency);
      writer.finish();
    } finally {
      writer.close();
    }
    long elapsed = (nanoClock.getAsLong() - start) / 1_000_000;
    return new Summary(stats.records(), skip, writer.replayed, new TreeMap<>(writer.skippedBy),
        new TreeMap<>(writer.actions), writer.failed, stats.badLines(), elapsed, out);
  }

  /** Writes results in input order and keeps the state file in step with the output. */
  private final class Writer {
    private final Path statePath;
    private final JsonArray inputs;
    private final Semaphore slots;
    private final OutputStream out;
    private final Map<Long, Object> ready = new ConcurrentHashMap<>();
    private final Map<String, Long> skippedBy = new TreeMap<>();
    private final Map<String, Long> actions = new TreeMap<>();
    private long next;
    private long bytes;
    private long replayed;
    private long failed;
    private long lastStateNanos;
    private IOException error;
    private int failureWarnings;
    // The state stops at the first failed record, so a resumed run retries it and all after it.
    private long frozenRecords = -1;
    private long frozenBytes;

    Writer(Path output, Path statePath, JsonArray inputs, long first, long bytes,
        Semaphore slots) throws IOException {
      this.slots = slots;
      this.statePath = statePath;
      this.inputs = inputs;
      this.next = first;
      this.bytes = bytes;
      this.out = new java.io.BufferedOutputStream(
          Files.newOutputStream(output, StandardOpenOption.APPEND), 1 << 16);
      this.lastStateNanos = nanoClock.getAsLong();
    }

    /** Rethrows a write error on the reading thread. */
    synchronized void check() {
      if (error != null) {
        throw new UncheckedIOException(error);
      }
    }

    synchronized void done(long n, RecordReplayer.Result result, Throwable cause) {
      if (error != null) {
        return; // the run is failing: the reading thread has been woken to see why
      }
      ready.put(n, result != null ? result : cause);
      try {
        drain();
      } catch (IOException e) {
        error = e;
        slots.release(concurrency); // wake the reading thread, whose check() rethrows
      }
    }

    private void drain() throws IOException {
      Object r;
      while ((r = ready.remove(next)) != null) {
        if (r instanceof RecordReplayer.Replayed ok) {
          byte[] line = (ok.record().encode() + "\n").getBytes(StandardCharsets.UTF_8);
          out.write(line);
          bytes += line.length;
          replayed++;
          actions.merge(ok.action(), 1L, Long::sum);
        } else if (r instanceof RecordReplayer.Skipped s) {
          skippedBy.merge(s.reason(), 1L, Long::sum);
        } else {
          failed++;
          if (frozenRecords < 0) {
            frozenRecords = next;
            frozenBytes = bytes;
          }
          if (failureWarnings++ < 20) {
            err.println("\nreplay: record " + (next + 1) + " failed: "
                + ((Throwable) r).getMessage());
          }
        }
        next++;
        slots.release();
      }
      long now = nanoClock.getAsLong();
      if (now - lastStateNanos >= STATE_EVERY_NANOS) {
        lastStateNanos = now;
        writeState(false);
      }
    }

    synchronized void finish() throws IOException {
      check();
      drain();
      writeState(failed == 0);
    }

    private void writeState(boolean complete) throws IOException {
      out.flush();
      boolean frozen = frozenRecords >= 0;
      JsonObject state = new JsonObject().put("policy", policy.name()).put("inputs", inputs)
          .put("records", frozen ? frozenRecords : next)
          .put("output_bytes", frozen ? frozenBytes : bytes).put("complete", complete && !frozen);
      Path tmp = statePath.resolveSibling(STATE + ".tmp");
      Files.writeString(tmp, state.encodePrettily());
      try {
        Files.move(tmp, statePath, StandardCopyOption.REPLACE_EXISTING,
            StandardCopyOption.ATOMIC_MOVE);
      } catch (AtomicMoveNotSupportedException e) {
        Files.move(tmp, statePath, StandardCopyOption.REPLACE_EXISTING);
      }
    }

    synchronized void close() throws IOException {
      out.close();
    }
  }
}
