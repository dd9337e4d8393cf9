package dev.thinkgate.audit;

import dev.thinkgate.audit.SafetyMetrics.Dimension;
import java.io.IOException;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;

/** Reads audit files into a {@link SafetyReport}: what {@code thinkgate audit} computes. */
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

  public Result run(List<Path> inputs, int k, List<Dimension> by) throws IOException {
    SafetyMetrics metrics = new SafetyMetrics(k, by);
    ShadowReport shadow = new ShadowReport(by);
    AuditReader.Stats stats = reader.read(inputs, r -> {
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
