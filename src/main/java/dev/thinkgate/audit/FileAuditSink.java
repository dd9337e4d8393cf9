package dev.thinkgate.audit;

import dev.thinkgate.config.GatewayConfig.AuditSinkConfig;
import io.micrometer.core.instrument.Counter;
import io.micrometer.core.instrument.MeterRegistry;
import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.io.UncheckedIOException;
import java.nio.ByteBuffer;
import java.nio.channels.FileChannel;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.nio.file.StandardOpenOption;
import java.time.Clock;
import java.time.LocalDate;
import java.time.ZoneOffset;
import java.time.format.DateTimeFormatter;
import java.util.ArrayList;
import java.util.List;
import java.util.Objects;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.TimeUnit;
import java.util.regex.Pattern;
import java.util.stream.Stream;
import java.util.zip.GZIPOutputStream;

/**
 * Writes audit records as JSON lines to {@code audit-YYYYMMDD-HHmmss-NNN.jsonl} files in one
 * directory (DESIGN §8).
 *
 * <p>{@link #offer} never blocks: records go through a bounded queue to one writer thread; a full
 * queue or a closed sink drops the record and counts it ({@code thinkgate_audit_dropped_total}
 * with a {@code reason} tag). The writer drains batches into memory and writes whole lines with
 * one file write every {@code flushIntervalMs} ({@code thinkgate_audit_written_total} counts lines
 * handed to the OS). A process crash therefore loses at most the unflushed tail; every earlier
 * line stays a complete JSON line ({@link AuditReader} skips a line cut short by the OS).
 *
 * <p>The file rotates past {@code rotateBytes} and when the UTC date of the injected clock
 * changes. Closed files are gzipped by a background thread into {@code .jsonl.gz} (through a
 * {@code .tmp} file renamed atomically) and the plain file is then removed. At start-up the sink
 * finishes what a crash interrupted: stale {@code .tmp} files are removed and left-over plain files
 * are compressed. One directory belongs to one sink in one process.
 */
public final class FileAuditSink implements AuditSink {

  private static final System.Logger LOG = System.getLogger(FileAuditSink.class.getName());
  private static final DateTimeFormatter NAME_TIME =
      DateTimeFormatter.ofPattern("yyyyMMdd-HHmmss").withZone(ZoneOffset.UTC);
  private static final Pattern FILE_NAME =
      Pattern.compile("audit-\\d{8}-\\d{6}-\\d{3,}\\.jsonl");
  private static final int MAX_BATCH = 1024;
  private static final int MAX_PENDING_BYTES = 1 << 20;

  private final Path dir;
  private final long rotateBytes;
  private final boolean rotateDaily;
  private final boolean gzipRotated;
  private final long flushIntervalNanos;
  private final Clock clock;
  private final AuditQueue queue;
  private final Counter written;
  private final Counter droppedError;
  private final Thread writer;
  private final ExecutorService compressor;

  // Owned by the writer thread.
  private final ByteArrayOutputStream pending = new ByteArrayOutputStream(1 << 16);
  private int pendingRecords;
  private FileChannel channel;
  private Path currentFile;
  private long currentBytes;
  private LocalDate currentDay;

  /**
   * Creates the directory if needed and starts the writer thread.
   *
   * @throws UncheckedIOException when the directory cannot be created
   */
  public FileAuditSink(AuditSinkConfig config, MeterRegistry registry, Clock clock) {
    this(config, registry, clock, true);
  }

  /** With {@code start} false the writer is started by {@link #start()}; for tests. */
  FileAuditSink(AuditSinkConfig config, MeterRegistry registry, Clock clock, boolean start) {
    Objects.requireNonNull(config.dir(), "audit sink dir");
    if (config.rotateBytes() < 1) {
      throw new IllegalArgumentException("audit rotateBytes must be positive, got "
          + config.rotateBytes());
    }
    this.dir = Path.of(config.dir());
    this.rotateBytes = config.rotateBytes();
    this.rotateDaily = config.rotateDaily();
    this.gzipRotated = config.gzipRotated();
    this.flushIntervalNanos = TimeUnit.MILLISECONDS.toNanos(Math.max(1, config.flushIntervalMs()));
    this.clock = clock;
    String sink = "file:" + dir;
    this.queue = new AuditQueue(config.queueSize(), registry, sink);
    this.written = Counter.builder("thinkgate.audit.written").tag("sink", sink)
        .description("audit records written to the sink").register(registry);
    this.droppedError = queue.dropped("io_error");
    try {
      Files.createDirectories(dir);
    } catch (IOException e) {
      throw new UncheckedIOException("cannot create audit directory " + dir, e);
    }
    this.compressor = Executors.newSingleThreadExecutor(r -> daemon(r, "thinkgate-audit-gzip"));
    this.writer = daemon(this::writeLoop, "thinkgate-audit-writer");
    recoverAfterCrash();
    if (start) {
      writer.start();
    }
  }

  void start() {
    writer.start();
  }

  private static Thread daemon(Runnable r, String name) {
    Thread t = new Thread(r, name);
    t.setDaemon(true);
    return t;
  }

  @Override
  public boolean offer(AuditRecord record) {
    return queue.offer(record);
  }

  /** Stops accepting, writes what is queued, closes (and compresses) the current file. */
  @Override
  public void close() {
    if (!queue.close()) {
      return;
    }
    try {
      if (writer.isAlive() || writer.getState() != Thread.State.NEW) {
        writer.join();
      }
      // Records that slipped in after the writer's last drain.
      queue.dropRemaining();
      compressor.shutdown();
      if (!compressor.awaitTermination(5, TimeUnit.MINUTES)) {
        LOG.log(System.Logger.Level.WARNING, "audit compression still running at close in " + dir);
      }
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
    }
  }

  private void writeLoop() {
    List<AuditRecord> batch = new ArrayList<>(MAX_BATCH);
    long nextFlush = System.nanoTime() + flushIntervalNanos;
    while (true) {
      try {
        long wait = Math.max(0, nextFlush - System.nanoTime());
        AuditRecord first = queue.poll(wait, TimeUnit.NANOSECONDS);
        if (first != null) {
          batch.add(first);
          queue.drainTo(batch, MAX_BATCH - 1);
          for (AuditRecord r : batch) {
            append(r);
          }
          batch.clear();
        }
        if (System.nanoTime() - nextFlush >= 0 || pending.size() >= MAX_PENDING_BYTES) {
          flush();
          nextFlush = System.nanoTime() + flushIntervalNanos;
        }
        if (queue.closed() && queue.isEmpty()) {
          break;
        }
      } catch (InterruptedException e) {
        break;
      } catch (RuntimeException e) {
        LOG.log(System.Logger.Level.ERROR, "audit writer error in " + dir, e);
      }
    }
    flush();
    closeCurrent();
  }

  private void append(AuditRecord record) {
    byte[] line;
    try {
      line = (record.toJson().encode() + "\n").getBytes(StandardCharsets.UTF_8);
    } catch (RuntimeException e) {
      LOG.log(System.Logger.Level.WARNING, "audit record not encodable, dropped: " + e);
      droppedError.increment();
      return;
    }
    LocalDate today = LocalDate.ofInstant(clock.instant(), ZoneOffset.UTC);
    long size = currentBytes + pending.size();
    if (channel != null && ((rotateDaily && !today.equals(currentDay))
        || (size > 0 && size + line.length > rotateBytes))) {
      flush();
      closeCurrent();
    }
    if (channel == null && !open(today)) {
      droppedError.increment();
      return;
    }
    pending.writeBytes(line);
    pendingRecords++;
  }

  private boolean open(LocalDate today) {
    String stamp = NAME_TIME.format(clock.instant());
    try {
      for (int seq = 0; ; seq++) {
        String stem = String.format("audit-%s-%03d.jsonl", stamp, seq);
        Path candidate = dir.resolve(stem);
        if (Files.exists(candidate) || Files.exists(dir.resolve(stem + ".gz"))
            || Files.exists(dir.resolve(stem + ".gz.tmp"))) {
          continue;
        }
        channel = FileChannel.open(candidate, StandardOpenOption.CREATE_NEW,
            StandardOpenOption.WRITE, StandardOpenOption.APPEND);
        currentFile = candidate;
        currentBytes = 0;
        currentDay = today;
        return true;
      }
    } catch (IOException e) {
      LOG.log(System.Logger.Level.ERROR, "cannot open an audit file in " + dir + ": " + e);
      return false;
    }
  }

  private void flush() {
    if (pendingRecords == 0) {
      return;
    }
    ByteBuffer bytes = ByteBuffer.wrap(pending.toByteArray());
    int records = pendingRecords;
    pending.reset();
    pendingRecords = 0;
    try {
      while (bytes.hasRemaining()) {
        currentBytes += channel.write(bytes);
      }
      written.increment(records);
    } catch (IOException e) {
      LOG.log(System.Logger.Level.ERROR, "audit write failed in " + currentFile + ": " + e);
      droppedError.increment(records);
      // Start a fresh file next time rather than append after a partial write.
      closeCurrent();
    }
  }

  private void closeCurrent() {
    if (channel == null) {
      return;
    }
    Path file = currentFile;
    try {
      channel.close();
    } catch (IOException e) {
      LOG.log(System.Logger.Level.WARNING, "closing " + file + ": " + e);
    }
    channel = null;
    currentFile = null;
    currentBytes = 0;
    if (gzipRotated) {
      compressor.execute(() -> compress(file));
    }
  }

  /** {@code x.jsonl} → {@code x.jsonl.gz.tmp} → rename to {@code x.jsonl.gz} → delete plain. */
  static void compress(Path plain) {
    Path gz = plain.resolveSibling(plain.getFileName() + ".gz");
    Path tmp = plain.resolveSibling(plain.getFileName() + ".gz.tmp");
    try {
      try (InputStream in = Files.newInputStream(plain);
          OutputStream out = new GZIPOutputStream(Files.newOutputStream(tmp), 1 << 16)) {
        in.transferTo(out);
      }
      Files.move(tmp, gz, StandardCopyOption.ATOMIC_MOVE);
      Files.delete(plain);
    } catch (IOException e) {
      LOG.log(System.Logger.Level.WARNING, "cannot compress " + plain + ", left plain: " + e);
      try {
        Files.deleteIfExists(tmp);
      } catch (IOException ignored) {
        // the next start-up removes it
      }
    }
  }

  private void recoverAfterCrash() {
    List<Path> plain = new ArrayList<>();
    try (Stream<Path> files = Files.list(dir)) {
      for (Path p : files.toList()) {
        String name = p.getFileName().toString();
        if (name.startsWith("audit-") && name.endsWith(".jsonl.gz.tmp")) {
          Files.deleteIfExists(p);
        } else if (FILE_NAME.matcher(name).matches()) {
          if (Files.exists(p.resolveSibling(name + ".gz"))) {
            Files.delete(p); // compressed before the crash, not yet removed
          } else {
            plain.add(p);
          }
        }
      }
    } catch (IOException e) {
      LOG.log(System.Logger.Level.WARNING, "audit recovery in " + dir + ": " + e);
    }
    if (gzipRotated) {
      plain.forEach(p -> compressor.execute(() -> compress(p)));
    }
  }
}
