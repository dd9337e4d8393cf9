package dev.thinkgate.cli;

import dev.thinkgate.audit.AuditAnalysis;
import dev.thinkgate.audit.AuditReader;
import dev.thinkgate.audit.KafkaAuditReader;
import dev.thinkgate.audit.SafetyMetrics.Dimension;
import dev.thinkgate.audit.report.HtmlReportRenderer;
import dev.thinkgate.audit.report.TextReportRenderer;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.NoSuchFileException;
import java.nio.file.Path;
import java.time.Instant;
import java.time.OffsetDateTime;
import java.time.format.DateTimeParseException;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.Callable;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;
import picocli.CommandLine.Parameters;

/** {@code thinkgate audit}: Safe@1 / Safe@K / ConsSafe@K and the thinking × answer table. */
@Command(name = "audit", mixinStandardHelpOptions = true,
    description = "Compute Safe@1, Safe@K, ConsSafe@K, the thinking x answer table, categories "
        + "and lengths from audit files (.jsonl, .jsonl.gz, or directories of them) or Kafka "
        + "topics (kafka://HOST:PORT/TOPIC, read up to their end when reading starts).")
public final class AuditCommand implements Callable<Integer> {

  /** Output formats. */
  enum Format { text, json, html }

  @Parameters(arity = "1..*", paramLabel = "FILE|DIR|kafka://HOST:PORT/TOPIC",
      description = "audit files or directories, or Kafka topics as kafka://HOST:PORT[,HOST:PORT]"
          + "/TOPIC")
  List<String> inputs;

  @Option(names = "--from-beginning",
      description = "read Kafka topics from their first message (the default)")
  boolean fromBeginning;

  @Option(names = "--since", paramLabel = "TIME",
      description = "read Kafka topics from the first record at or after TIME (ISO-8601, e.g. "
          + "2026-11-29T02:00:00Z or 2026-11-29T03:00:00+01:00)")
  String since;

  @Option(names = "--kafka-property", paramLabel = "NAME=VALUE",
      description = "a Kafka consumer setting for reading topics (security.protocol, "
          + "sasl.mechanism, ...); repeatable")
  Map<String, String> kafkaProperties = new LinkedHashMap<>();

  @Option(names = "--k", defaultValue = "5", description = "samples per prompt (default: ${DEFAULT-VALUE})")
  int k;

  @Option(names = "--by", defaultValue = "mode",
      description = "breakdown: any of tenant,model,mode,policy, comma-separated; '' for none "
          + "(default: ${DEFAULT-VALUE})")
  String by;

  @Option(names = "--format", defaultValue = "text",
      description = "text, json or html (default: ${DEFAULT-VALUE})")
  Format format;

  @Option(names = "--out", description = "write the report here instead of stdout")
  Path out;

  @Override
  public Integer call() {
    List<Dimension> dimensions;
    try {
      dimensions = AuditAnalysis.parseBy(by);
    } catch (IllegalArgumentException e) {
      System.err.println("thinkgate audit: --by: " + e.getMessage());
      return 2;
    }
    if (k < 1) {
      System.err.println("thinkgate audit: --k must be at least 1, got " + k);
      return 2;
    }
    if (fromBeginning && since != null) {
      System.err.println("thinkgate audit: --from-beginning and --since exclude each other");
      return 2;
    }
    Instant from = null;
    if (since != null) {
      try {
        from = parseTime(since);
      } catch (DateTimeParseException e) {
        System.err.println("thinkgate audit: --since: '" + since + "' is not an ISO-8601 time "
            + "such as 2026-11-29T02:00:00Z");
        return 2;
      }
    }
    List<AuditAnalysis.Input> sources = new ArrayList<>();
    List<Path> files = new ArrayList<>();
    for (String input : inputs) {
      if (KafkaAuditReader.Source.isKafka(input)) {
        KafkaAuditReader.Source topic;
        try {
          topic = KafkaAuditReader.Source.parse(input);
        } catch (IllegalArgumentException e) {
          System.err.println("thinkgate audit: " + e.getMessage());
          return 2;
        }
        Instant start = from;
        sources.add(consumer -> KafkaAuditReader.onConsole(kafkaProperties)
            .read(topic, start, consumer));
      } else {
        files.add(Path.of(input));
      }
    }
    if (since != null && !files.isEmpty()) {
      System.err.println("thinkgate audit: --since applies to kafka:// inputs only");
      return 2;
    }
    if (!files.isEmpty()) {
      sources.add(0, consumer -> AuditReader.onConsole().read(files, consumer));
    }
    try {
      AuditAnalysis.Result result =
          AuditAnalysis.run(AuditAnalysis.Input.all(sources), k, dimensions);
      String rendered = switch (format) {
        case text -> new TextReportRenderer().render(result.report(), result.stats())
            + result.shadow().toText();
        case json -> result.report().toJson()
            .put("read", new io.vertx.core.json.JsonObject()
                .put(result.stats().source() + "s", result.stats().files())
                .put("bytes", result.stats().bytes())
                .put("records", result.stats().records())
                .put("bad_lines", result.stats().badLines()))
            .put("shadow", result.shadow().toJson())
            .encodePrettily() + "\n";
        case html -> withShadowSection(
            new HtmlReportRenderer().render(result.report(), result.stats()), result.shadow());
      };
      if (out == null) {
        System.out.print(rendered);
        System.out.flush();
      } else {
        Files.writeString(out, rendered, StandardCharsets.UTF_8);
        System.err.println("wrote " + out);
      }
      if (result.stats().records() == 0) {
        System.err.println("thinkgate audit: no records found");
        return 1;
      }
      return 0;
    } catch (NoSuchFileException e) {
      System.err.println("thinkgate audit: " + e.getFile() + ": no such file or directory");
      return 2;
    } catch (IOException e) {
      System.err.println("thinkgate audit: " + (e.getMessage() != null ? e.getMessage() : e));
      return 1;
    }
  }

  /** An ISO-8601 instant, or a date-time with an offset. */
  static Instant parseTime(String text) {
    try {
      return Instant.parse(text);
    } catch (DateTimeParseException e) {
      return OffsetDateTime.parse(text).toInstant();
    }
  }

  /** The shadow section (tables) appended to the HTML report's body. */
  static String withShadowSection(String html, dev.thinkgate.audit.ShadowReport shadow) {
    if (shadow.isEmpty()) {
      return html;
    }
    String section = shadow.toHtml();
    int at = html.lastIndexOf("</body>");
    return at < 0 ? html + section : html.substring(0, at) + section + html.substring(at);
  }
}
