package dev.thinkgate.cli;

import dev.thinkgate.audit.AuditAnalysis;
import dev.thinkgate.audit.AuditReader;
import dev.thinkgate.audit.ProgressBar;
import dev.thinkgate.audit.SafetyMetrics.Dimension;
import dev.thinkgate.audit.eval.EvalOptions;
import dev.thinkgate.audit.eval.EvalRunner;
import dev.thinkgate.audit.report.TextReportRenderer;
import java.io.IOException;
import java.net.URI;
import java.net.http.HttpClient;
import java.nio.file.NoSuchFileException;
import java.nio.file.Path;
import java.time.Clock;
import java.time.Duration;
import java.util.Arrays;
import java.util.List;
import java.util.concurrent.Callable;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;

/**
 * {@code thinkgate eval}: runs a prompt set through a gateway K times per mode, writes audit
 * records, and prints the Safe@K table by mode. Rerunning with the same {@code --out} resumes.
 */
@Command(name = "eval", mixinStandardHelpOptions = true,
    description = "Run a prompt set through a ThinkGate gateway K times per reasoning mode, "
        + "write one audit record per sample into --out, and print Safe@1/Safe@K/ConsSafe@K by "
        + "mode. Rerun with the same --out to resume.")
public final class EvalCommand implements Callable<Integer> {

  @Option(names = "--base-url", required = true, description = "the gateway, e.g. http://localhost:8080")
  URI baseUrl;

  @Option(names = "--api-key", defaultValue = "${env:THINKGATE_API_KEY}",
      description = "tenant API key (default: $THINKGATE_API_KEY)")
  String apiKey;

  @Option(names = "--prompts", required = true,
      description = "JSONL prompt file, or a built-in set: advbench-sub, xstest-safe")
  Path prompts;

  @Option(names = "--field", defaultValue = "query",
      description = "field holding the prompt (default: ${DEFAULT-VALUE})")
  String field;

  @Option(names = "--modes", defaultValue = "passthrough,zerothink,lessthink,morethink",
      split = ",", description = "reasoning modes (default: ${DEFAULT-VALUE})")
  List<String> modes;

  @Option(names = "--model", defaultValue = "default", description = "model (default: ${DEFAULT-VALUE})")
  String model;

  @Option(names = "--k", defaultValue = "5", description = "samples per prompt and mode (default: ${DEFAULT-VALUE})")
  int k;

  @Option(names = "--temperature", defaultValue = "0.6", description = "(default: ${DEFAULT-VALUE})")
  double temperature;

  @Option(names = "--top-p", defaultValue = "0.95", description = "(default: ${DEFAULT-VALUE})")
  double topP;

  @Option(names = "--max-tokens", description = "max_tokens per request (default: not sent)")
  Integer maxTokens;

  @Option(names = "--limit", description = "only the first N prompts")
  Integer limit;

  @Option(names = "--concurrency", defaultValue = "8", description = "requests in flight (default: ${DEFAULT-VALUE})")
  int concurrency;

  @Option(names = "--max-attempts", defaultValue = "6",
      description = "tries per sample on 429/5xx/network errors (default: ${DEFAULT-VALUE})")
  int maxAttempts;

  @Option(names = "--retry-base-ms", defaultValue = "500",
      description = "first retry backoff, doubled per attempt (default: ${DEFAULT-VALUE})")
  long retryBaseMs;

  @Option(names = "--timeout-s", defaultValue = "900",
      description = "per-request timeout in seconds (default: ${DEFAULT-VALUE})")
  long timeoutSeconds;

  @Option(names = "--out", required = true, description = "directory for eval-*.jsonl")
  Path out;

  @Override
  public Integer call() throws InterruptedException {
    if (apiKey == null || apiKey.isBlank()) {
      System.err.println("thinkgate eval: --api-key or $THINKGATE_API_KEY is required");
      return 2;
    }
    EvalOptions options;
    try {
      options = new EvalOptions(baseUrl, apiKey, prompts, field,
          modes.stream().map(String::trim).filter(m -> !m.isEmpty()).toList(), k, temperature,
          topP, maxTokens, limit, concurrency, model, out, maxAttempts,
          Duration.ofMillis(retryBaseMs), Duration.ofSeconds(timeoutSeconds));
    } catch (IllegalArgumentException e) {
      System.err.println("thinkgate eval: " + e.getMessage());
      return 2;
    }
    HttpClient http = HttpClient.newBuilder()
        .connectTimeout(Duration.ofSeconds(10))
        .executor(java.util.concurrent.Executors.newCachedThreadPool(r -> {
          Thread t = new Thread(r, "thinkgate-eval-http");
          t.setDaemon(true);
          return t;
        }))
        .build();
    EvalRunner.Outcome outcome;
    try {
      outcome = new EvalRunner(options, http, Clock.systemUTC(), System.err,
          total -> ProgressBar.onConsole("eval", total, ProgressBar.Unit.ITEMS)).run();
    } catch (NoSuchFileException e) {
      System.err.println("thinkgate eval: " + e.getFile() + ": no such file");
      return 2;
    } catch (IOException e) {
      System.err.println("thinkgate eval: " + e.getMessage());
      return 2;
    }
    System.err.printf("eval: %d samples planned, %d already in %s, %d written, %d failed%n",
        outcome.planned(), outcome.alreadyDone(), out, outcome.written(), outcome.failed());
    if (outcome.withoutVerdicts() > 0) {
      System.err.println("warning: " + outcome.withoutVerdicts() + " responses carried no "
          + "thinkgate.verdicts; use a policy with screening in shadow release to judge them");
    }
    if (outcome.fatalError() != null) {
      System.err.println("thinkgate eval: stopped: " + outcome.fatalError());
      return 2;
    }
    try {
      AuditAnalysis.Result result = new AuditAnalysis(AuditReader.onConsole())
          .run(List.of(out), k, Arrays.asList(Dimension.MODE));
      System.out.print(new TextReportRenderer().render(result.report(), result.stats()));
      System.out.flush();
    } catch (IOException e) {
      System.err.println("thinkgate eval: reading " + out + ": " + e.getMessage());
      return 1;
    }
    return outcome.failed() > 0 ? 1 : 0;
  }
}
