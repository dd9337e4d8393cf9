package dev.thinkgate.cli;

import dev.thinkgate.config.ApiKeyHash;
import dev.thinkgate.config.ConfigLoader;
import dev.thinkgate.config.ConfigStore;
import dev.thinkgate.config.GatewayConfig;
import dev.thinkgate.config.GatewayConfig.AuditConfig;
import dev.thinkgate.config.GatewayConfig.AuditSinkConfig;
import dev.thinkgate.config.GatewayConfig.GuardConfig;
import dev.thinkgate.config.GatewayConfig.GuardFormat;
import dev.thinkgate.config.GatewayConfig.RouteConfig;
import dev.thinkgate.config.GatewayConfig.ServerConfig;
import dev.thinkgate.config.GatewayConfig.TenantConfig;
import dev.thinkgate.config.GatewayConfig.Timeouts;
import dev.thinkgate.config.GatewayConfig.UpstreamDialect;
import dev.thinkgate.config.InvalidConfigException;
import dev.thinkgate.metrics.GatewayMetrics;
import dev.thinkgate.proxy.DrainReport;
import dev.thinkgate.proxy.Gateway;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Clock;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.concurrent.Callable;
import java.util.concurrent.CountDownLatch;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;

/**
 * {@code thinkgate serve}: a configured deployment ({@code --config}), or the quick start with
 * one route for every model ({@code --upstream}).
 */
@Command(name = "serve", mixinStandardHelpOptions = true,
    description = {"Run the gateway.",
        "Configured: thinkgate serve --config conf/thinkgate.yaml [--policies policies/]",
        "Quick start: thinkgate serve --upstream http://127.0.0.1:8000 [--policy strict --guard URL]"})
public final class ServeCommand implements Callable<Integer> {
  @Option(names = "--config", description = "conf/thinkgate.yaml; omit for the quick start")
  Path config;

  @Option(names = "--policies", description = "policies directory (default: ${DEFAULT-VALUE})",
      defaultValue = "policies")
  Path policies;

  @Option(names = "--upstream", description = "quick start: the model server's base URL")
  String upstream;

  @Option(names = "--upstream-dialect", defaultValue = "auto",
      description = "quick start: auto | vllm | sglang | completions (default: ${DEFAULT-VALUE};"
          + " auto probes the server's /tokenize)")
  String upstreamDialect;

  @Option(names = "--chat-template",
      description = "quick start: the server's template, deepseek-r1 | qwen3 | qwq (auto detects"
          + " it on vLLM; needed for SGLang; completions default: deepseek-r1)")
  String chatTemplate;

  @Option(names = "--implicit-think-open",
      description = "quick start: the server has no reasoning parser and its template opens the"
          + " thought (R1-Distill): text before </think> is thinking")
  boolean implicitThinkOpen;

  @Option(names = "--host", defaultValue = "0.0.0.0", description = "quick start: bind address")
  String host;

  @Option(names = "--port", defaultValue = "8080", description = "quick start: port (0 = free)")
  int port;

  @Option(names = "--admin-port", defaultValue = "0",
      description = "quick start: admin/metrics port (0 = none; /metrics is also on --port)")
  int adminPort;

  @Option(names = "--policy", defaultValue = "passthrough",
      description = "quick start: the policy applied to every request (default: ${DEFAULT-VALUE})")
  String policy;

  @Option(names = "--api-key", description = "quick start: require this key (auth off if unset)")
  String apiKey;

  @Option(names = "--guard", description = "quick start: the guard server's base URL")
  String guard;

  @Option(names = "--guard-format", defaultValue = "llama-guard-3",
      description = "quick start: llama-guard-3 | llama-guard-4 | qwen3guard")
  String guardFormat;

  @Option(names = "--guard-model", description = "quick start: the guard's model name")
  String guardModel;

  @Option(names = "--audit-dir", description = "quick start: write audit JSONL files here")
  Path auditDir;

  @Override
  public Integer call() throws Exception {
    CliLogging.configure();
    Runtimes.Started started;
    try {
      started = start(System::getenv);
    } catch (InvalidConfigException e) {
      e.errors().forEach(err -> System.err.println(err));
      System.err.println("thinkgate serve: configuration invalid (" + e.errors().size()
          + " error" + (e.errors().size() == 1 ? "" : "s") + ")");
      return 1;
    } catch (IllegalArgumentException e) {
      System.err.println("thinkgate serve: " + e.getMessage());
      return 2;
    }
    Gateway gateway = started.gateway();
    System.out.println("ThinkGate listening on " + gateway.baseUrl() + "/v1"
        + (gateway.adminPort() > 0 ? " (admin on port " + gateway.adminPort() + ")" : ""));
    // SIGTERM (Kubernetes, docker stop) and SIGINT drain open streams, then exit 0; any other
    // exit drains in the shutdown hook. Both run the same idempotent shutdown.
    // Ctrl-C while draining exits at once (the audit files keep whole lines); a repeated
    // SIGTERM changes nothing.
    CountDownLatch stop = new CountDownLatch(1);
    TerminationSignals.install(signal -> {
      if (stop.getCount() == 0) {
        if (signal.equals("INT")) {
          System.err.println("thinkgate serve: SIGINT while draining, exiting at once");
          Runtime.getRuntime().halt(130);
        }
        return;
      }
      System.getLogger("thinkgate").log(System.Logger.Level.INFO,
          "SIG" + signal + ": shutting down gracefully");
      stop.countDown();
    });
    Runtime.getRuntime().addShutdownHook(new Thread(() -> {
      stop.countDown();
      started.shutdown();
    }, "thinkgate-shutdown"));
    stop.await();
    DrainReport report = started.shutdown();
    System.out.println("ThinkGate stopped: " + report.finished() + " open requests finished, "
        + report.endedAtDeadline() + " ended at the drain timeout, " + report.abandoned()
        + " abandoned");
    return 0;
  }

  /** Builds the store (configured or quick start) and starts a gateway; used by tests too. */
  Runtimes.Started start(java.util.function.Function<String, String> env) {
    GatewayMetrics metrics = new GatewayMetrics();
    ConfigLoader loader = new ConfigLoader(env);
    Path policyDir = Files.isDirectory(policies) ? policies : null;
    ConfigStore store;
    if (config != null) {
      if (upstream != null) {
        throw new IllegalArgumentException("--config and --upstream are exclusive: the config"
            + " file names its upstreams");
      }
      store = new ConfigStore(loader, config, policyDir, metrics.registry(), Clock.systemUTC());
    } else {
      if (upstream == null) {
        throw new IllegalArgumentException(
            "give --config conf/thinkgate.yaml, or --upstream URL for the quick start");
      }
      store = ConfigStore.fixed(quickStart(), loader, policyDir, metrics.registry(),
          Clock.systemUTC());
    }
    return Runtimes.start(store, metrics, env, policy);
  }

  GatewayConfig quickStart() {
    UpstreamDialect dialect;
    try {
      dialect = UpstreamDialect.valueOf(upstreamDialect.toUpperCase(Locale.ROOT));
    } catch (IllegalArgumentException e) {
      throw new IllegalArgumentException("--upstream-dialect: '" + upstreamDialect
          + "' is not one of auto, vllm, sglang, completions");
    }
    if (chatTemplate != null && !List.of("deepseek-r1", "qwen3", "qwq").contains(chatTemplate)) {
      throw new IllegalArgumentException("--chat-template: '" + chatTemplate
          + "' is not one of deepseek-r1, qwen3, qwq");
    }
    RouteConfig route = new RouteConfig("*", upstream, dialect, null, null, chatTemplate, false,
        implicitThinkOpen, Timeouts.DEFAULT, "/health");
    Map<String, GuardConfig> guards = Map.of();
    if (guard != null) {
      guards = Map.of("default", quickStartGuard(guard, guardFormat, guardModel));
    }
    List<TenantConfig> tenants = apiKey == null ? List.of()
        : List.of(new TenantConfig("default", List.of(ApiKeyHash.of(apiKey)), policy,
            List.of("*"), 0, 0));
    AuditConfig audit = auditDir == null ? AuditConfig.NONE
        : new AuditConfig(List.of(AuditSinkConfig.file(auditDir.toString())), 8);
    ServerConfig server = new ServerConfig(host, port, adminPort, null,
        ServerConfig.DEFAULT.maxBodyBytes(), ServerConfig.DEFAULT.requestTimeoutMs(), true);
    return new GatewayConfig(server, List.of(route), guards, tenants, audit, Map.of());
  }

  /**
   * The guard {@code --guard URL [--guard-format F] [--guard-model M]} describes, named
   * {@code default}.
   *
   * @throws IllegalArgumentException when {@code format} is not a guard format
   */
  static GuardConfig quickStartGuard(String url, String format, String model) {
    GuardFormat parsed = GuardFormat.fromWire(format);
    if (parsed == null) {
      throw new IllegalArgumentException("--guard-format: '" + format
          + "' is not one of llama-guard-3, llama-guard-4, qwen3guard");
    }
    return GuardConfig.quickStart(url, parsed, model);
  }
}
