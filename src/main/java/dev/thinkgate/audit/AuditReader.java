package dev.thinkgate.audit;

import io.vertx.core.json.DecodeException;
import io.vertx.core.json.JsonObject;
import java.io.BufferedReader;
import java.io.EOFException;
import java.io.FilterInputStream;
import java.io.IOException;
import java.io.InputStream;
import java.io.InputStreamReader;
import java.io.PrintStream;
import java.io.UncheckedIOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.NoSuchFileException;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.function.Consumer;
import java.util.function.Function;
import java.util.stream.Stream;
import java.util.zip.GZIPInputStream;
import java.util.zip.ZipException;

/**
 * Streams audit records from {@code .jsonl} and {@code .jsonl.gz} files and directories (searched
 * recursively, files in path order), one line at a time: memory does not grow with the input.
 * A line that is not a JSON object (typically the truncated last line of a file written by a
 * process that crashed) is skipped, counted and reported as {@code file:line} on the warning
 * stream (the first 20; then only counted). A plain file whose {@code .gz} twin exists is skipped:
 * it is a rotated file whose compression finished but whose removal did not.
 */
public final class AuditReader {

  /**
   * What was read.
   *
   * @param files files read, or partitions for a Kafka topic (see {@code source})
   * @param source what {@code files} counts: {@code file} or {@code partition}
   */
  public record Stats(long files, long bytes, long lines, long records, long badLines,
      String source) {
    public Stats(long files, long bytes, long lines, long records, long badLines) {
      this(files, bytes, lines, records, badLines, "file");
    }

    /** {@code "3 files"}, {@code "1 partition"}. */
    public String sources() {
      return files + " " + source + (files == 1 ? "" : "s");
    }

    /** Both read into one report: counts added, the source named once or as {@code source}. */
    public Stats plus(Stats other) {
      return new Stats(files + other.files, bytes + other.bytes, lines + other.lines,
          records + other.records, badLines + other.badLines,
          source.equals(other.source) ? source : "source");
    }
  }


  private final PrintStream warnings;
  private final Function<Long, ProgressBar> progress;

  /**
   * @param warnings where bad lines are reported
   * @param progress makes a progress bar for the given total bytes
   */
  public AuditReader(PrintStream warnings, Function<Long, ProgressBar> progress) {
    this.warnings = warnings;
    this.progress = progress;
  }

  /** Warnings and a console progress bar on stderr. */
  public static AuditReader onConsole() {
    return new AuditReader(System.err,
        total -> ProgressBar.onConsole("reading", total, ProgressBar.Unit.BYTES));
  }

  /** The audit files under {@code inputs}, sorted, without plain files that have a .gz twin. */
  public static List<Path> files(List<Path> inputs) throws IOException {
    List<Path> files = new ArrayList<>();
    for (Path input : inputs) {
      if (Files.isDirectory(input)) {
        try (Stream<Path> walk = Files.walk(input)) {
          walk.filter(Files::isRegularFile).filter(AuditReader::isAuditFile).sorted()
              .forEach(files::add);
        }
      } else if (Files.isRegularFile(input)) {
        files.add(input);
      } else {
        throw new NoSuchFileException(input.toString(), null, "no such file or directory");
      }
    }
    return files.stream()
        .filter(f -> !(f.toString().endsWith(".jsonl")
            && Files.exists(f.resolveSibling(f.getFileName() + ".gz"))))
        .toList();
  }

  private static boolean isAuditFile(Path p) {
    String name = p.getFileName().toString();
    return name.endsWith(".jsonl") || name.endsWith(".jsonl.gz");
  }

  /** Reads every record of {@code inputs} in order and hands each to {@code consumer}. */
  public Stats read(List<Path> inputs, Consumer<JsonObject> consumer) throws IOException {
    List<Path> files = files(inputs);
    long totalBytes = 0;
    for (Path f : files) {
      totalBytes += Files.size(f);
    }
    Counts counts = new Counts(warnings);
    try (ProgressBar bar = progress.apply(totalBytes)) {
      for (Path file : files) {
        readFile(file, consumer, counts, bar);
      }
    }
    counts.skips.finish("lines");
    return new Stats(files.size(), counts.bytes, counts.lines, counts.records,
        counts.skips.count());
  }

  private void readFile(Path file, Consumer<JsonObject> consumer, Counts counts, ProgressBar bar)
      throws IOException {
    long before = counts.bytes;
    CountingStream raw = new CountingStream(Files.newInputStream(file), n -> {
      counts.bytes += n;
      bar.advance(n);
    });
    long lineNo = 0;
    try (InputStream in = file.toString().endsWith(".gz") ? new GZIPInputStream(raw, 1 << 16) : raw;
        BufferedReader reader =
            new BufferedReader(new InputStreamReader(in, StandardCharsets.UTF_8), 1 << 16)) {
      String line;
      while ((line = reader.readLine()) != null) {
        lineNo++;
        counts.lines++;
        if (line.isBlank()) {
          continue;
        }
        JsonObject record;
        try {
          record = new JsonObject(line);
        } catch (DecodeException | ClassCastException e) {
          counts.skips.skip(file + ":" + lineNo + ": not a JSON object, skipped");
          continue;
        }
        counts.records++;
        consumer.accept(record);
      }
    } catch (EOFException | ZipException e) {
      // A .gz cut short: everything decoded so far was used.
      counts.skips.skip(file + ":" + (lineNo + 1) + ": compressed stream ends early ("
          + e.getMessage() + "), rest skipped");
    } catch (UncheckedIOException e) {
      throw e.getCause();
    }
    // Keep the byte count exact even when a reader stopped before the end of the file.
    long size = Files.size(file);
    long seen = counts.bytes - before;
    if (seen < size) {
      counts.bytes += size - seen;
      bar.advance(size - seen);
    }
  }

  private static final class Counts {
    long bytes;
    long lines;
    long records;
    final SkipWarnings skips;

    Counts(java.io.PrintStream warnings) {
      this.skips = new SkipWarnings(warnings);
    }
  }

  /** Reports bytes read from the underlying (possibly compressed) file. */
  private static final class CountingStream extends FilterInputStream {
    private final java.util.function.LongConsumer onRead;

    CountingStream(InputStream in, java.util.function.LongConsumer onRead) {
      super(in);
      this.onRead = onRead;
    }

    @Override
    public int read() throws IOException {
      int b = super.read();
      if (b >= 0) {
        onRead.accept(1);
      }
      return b;
    }

    @Override
    public int read(byte[] buf, int off, int len) throws IOException {
      int n = super.read(buf, off, len);
      if (n > 0) {
        onRead.accept(n);
      }
      return n;
    }
  }
}
