package dev.thinkgate.cli;

import dev.thinkgate.audit.AuditAnalysis;
import dev.thinkgate.audit.AuditReader;
import dev.thinkgate.audit.SafetyMetrics.Dimension;
import dev.thinkgate.audit.report.HtmlReportRenderer;
import dev.thinkgate.audit.report.TextReportRenderer;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.NoSuchFileException;
import java.nio.file.Path;
import java.util.List;
import java.util.concurrent.Callable;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;
import picocli.CommandLine.Parameters;

/** {@code thinkgate audit}: Safe@1 / Safe@K / ConsSafe@K and the thinking × answer table. */
@Command(name = "audit", mixinStandardHelpOptions = true,
    description = "Compute Safe@1, Safe@K, ConsSafe@K, the thinking x answer table, categories "
        + "and lengths from audit files (.jsonl, .jsonl.gz, or directories of them).")
public final class AuditCommand implements Callable<Integer> {

  /** Output formats. */
  enum Format { text, json, html }

  @Parameters(arity = "1..*", paramLabel = "FILE|DIR", description = "audit files or directories")
  List<Path> inputs;

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
    try {
      AuditAnalysis.Result result =
          new AuditAnalysis(AuditReader.onConsole()).run(inputs, k, dimensions);
      String rendered = switch (format) {
        case text -> new TextReportRenderer().render(result.report(), result.stats())
            + result.shadow().toText();
        case json -> result.report().toJson()
            .put("read", new io.vertx.core.json.JsonObject()
                .put("files", result.stats().files())
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
      System.err.println("thinkgate audit: " + e);
      return 1;
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
