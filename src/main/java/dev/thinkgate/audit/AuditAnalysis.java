package dev.thinkgate.audit;

import dev.thinkgate.audit.SafetyMetrics.Dimension;
import io.vertx.core.json.JsonObject;
import java.io.IOException;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.function.Consumer;

/**
 * Reads audit files (or a Kafka topic) into a {@link SafetyReport}: what {@code thinkgate audit}
 * computes.
 */
public final class AuditAnalysis {

  /** The report and what was read to build it. */
  public record Result(SafetyReport report, AuditReader.Stats stats, ShadowReport shadow) {
    public Result(SafetyReport report, AuditReader.Stats stats) {
      this(report, stats, new ShadowReport(List.of()));
    }
  }

  private final AuditReader reader;

  public AuditAnalysis(AuditReader reader) {
    this.reader = reader;
  }

  /** Where records come from: files, a Kafka topic, or several of them read in turn. */
  @FunctionalInterface
  public interface Input {
    AuditReader.Stats read(Consumer<JsonObject> consumer) throws IOException;

    /** Each input in order; the stats added up. */
    static Input all(List<Input> inputs) {
      return consumer -> {
        AuditReader.Stats total = null;
        for (Input input : inputs) {
          AuditReader.Stats stats = input.read(consumer);
          total = total == null ? stats : total.plus(stats);
        }
        return total == null ? new AuditReader.Stats(0, 0, 0, 0, 0) : total;
      };
    }
  }

  public Result run(List<Path> inputs, int k, List<Dimension> by) throws IOException {
    return run(consumer -> reader.read(inputs, consumer), k, by);
  }

  /** The report over every record {@code input} yields. */
  public static Result run(Input input, int k, List<Dimension> by) throws IOException {
    SafetyMetrics metrics = new SafetyMetrics(k, by);
    ShadowReport shadow = new ShadowReport(by);
    AuditReader.Stats stats = input.read(r -> {
      metrics.add(r);
      shadow.add(r);
    });
    return new Result(metrics.report(), stats, shadow);
  }

  /** Parses {@code tenant,model,mode,policy} (any subset, any order, no repeats). */
  public static List<Dimension> parseBy(String spec) {
    List<Dimension> by = new ArrayList<>();
    if (spec == null || spec.isBlank()) {
      return by;
    }
    for (String part : spec.split(",")) {
      if (part.isBlank()) {
        continue;
      }
      Dimension d = Dimension.fromWire(part);
      if (by.contains(d)) {
        throw new IllegalArgumentException("'" + part.trim() + "' is given twice");
      }
      by.add(d);
    }
    return by;
  }
}
