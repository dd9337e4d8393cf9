package dev.thinkgate.cli;

import dev.thinkgate.config.ConfigError;
import dev.thinkgate.config.ConfigLoader;
import dev.thinkgate.config.ConfigRenderer;
import dev.thinkgate.config.GatewayConfig;
import dev.thinkgate.config.LoadResult;
import dev.thinkgate.policy.Policy;
import dev.thinkgate.tenant.Tenant;
import dev.thinkgate.tenant.TenantRegistry;
import java.io.PrintWriter;
import java.nio.file.Path;
import java.util.Optional;
import java.util.function.Function;
import picocli.CommandLine.Command;
import picocli.CommandLine.Model.CommandSpec;
import picocli.CommandLine.Option;
import picocli.CommandLine.Parameters;
import picocli.CommandLine.Spec;

/** {@code thinkgate policy check|show}: validate configuration and policies, show a tenant's. */
@Command(
    name = "policy",
    description = "Check configuration and policies, or show a tenant's effective policy.",
    mixinStandardHelpOptions = true)
public final class PolicyCommand {
  @Spec CommandSpec spec;

  private final Function<String, String> env;

  public PolicyCommand() {
    this(System::getenv);
  }

  /** @param env the environment for {@code ${VAR}} substitution (tests inject one) */
  public PolicyCommand(Function<String, String> env) {
    this.env = env;
  }

  /** Options shared by the subcommands. */
  static final class Files {
    @Option(names = "--config", paramLabel = "FILE",
        description = "conf/thinkgate.yaml to check; without it only the policies are checked")
    Path config;

    @Option(names = "--policies", paramLabel = "DIR", defaultValue = "policies",
        description = "policies directory (default: ${DEFAULT-VALUE})")
    Path policies;
  }

  @Command(name = "check", mixinStandardHelpOptions = true,
      description = "Print every configuration error (exit 1), or a summary (exit 0).")
  int check(@picocli.CommandLine.Mixin Files files,
      @Option(names = "--probe", description = "also ask each route's server how it treats a"
          + " prefill (vLLM /tokenize); exit 1 when a policy would send one the server drops")
          boolean probe) {
    PrintWriter out = spec.commandLine().getOut();
    LoadResult result = new ConfigLoader(env).load(files.config, files.policies);
    if (!result.ok()) {
      printErrors(result);
      return 1;
    }
    GatewayConfig config = result.config();
    out.printf("OK: %d policies, %d tenants, %d routes%n",
        config.policies().size(), config.tenants().size(), config.routes().size());
    out.flush();
    return probe ? probeRoutes(config, out) : 0;
  }

  /**
   * Probes every route as {@code dialect: auto} would; a route whose prefills would be dropped
   * or rewritten (an explicit {@code vllm} dialect on R1/Qwen3, or auto without a usable
   * template) fails the check when a policy sends prefills.
   */
  private int probeRoutes(GatewayConfig config, PrintWriter out) {
    java.util.List<String> prefilling = config.policies().values().stream()
        .filter(p -> sendsPrefill(p.reasoning()))
        .map(Policy::name).sorted().toList();
    io.vertx.core.Vertx vertx = io.vertx.core.Vertx.vertx();
    io.vertx.core.http.HttpClientAgent client = vertx.createHttpClient();
    dev.thinkgate.http.ClientContext calls = new dev.thinkgate.http.ClientContext(vertx);
    int failures = 0;
    try {
      for (GatewayConfig.RouteConfig route : config.routes()) {
        dev.thinkgate.reasoning.PrefillProbe.Decision decision = probe(client, calls, route);
        boolean chatForced = route.dialect() == GatewayConfig.UpstreamDialect.VLLM
            && decision.path() == dev.thinkgate.reasoning.PrefillProbe.PrefillPath.COMPLETIONS;
        boolean drops = !decision.prefillsKept() || chatForced;
        String dialect = route.dialect().name().toLowerCase(java.util.Locale.ROOT);
        out.printf("route %s (%s, dialect %s): %s%n", route.model(), route.upstream(), dialect,
            decision.reason());
        if (drops && !prefilling.isEmpty()) {
          failures++;
          out.printf("  MISCONFIGURED: policies %s send prefills that this route's chat path"
              + " drops or rewrites; use dialect auto%s%n", String.join(", ", prefilling),
              decision.template() == null ? " with chat_template"
                  : " (or completions with chat_template " + decision.template() + ")");
        }
      }
    } finally {
      client.close();
      vertx.close();
    }
    out.flush();
    return failures == 0 ? 0 : 1;
  }

  /** The probe's requests go over {@code client}, made on {@code calls}' one context. */
  private dev.thinkgate.reasoning.PrefillProbe.Decision probe(
      io.vertx.core.http.HttpClientAgent client, dev.thinkgate.http.ClientContext calls,
      GatewayConfig.RouteConfig route) {
    String base = route.upstream().replaceAll("/+$", "").replaceAll("/v1$", "");
    String apiKey = route.apiKeyEnv() == null ? null : env.apply(route.apiKeyEnv());
    dev.thinkgate.reasoning.PrefillProbe.Transport transport = (path, body) -> {
      io.vertx.core.http.RequestOptions options = new io.vertx.core.http.RequestOptions()
          .setMethod(io.vertx.core.http.HttpMethod.POST).setAbsoluteURI(base + path)
          .setTimeout(10_000).putHeader("Content-Type", "application/json");
      if (apiKey != null) {
        options.putHeader("Authorization", "Bearer " + apiKey);
      }
      return calls.call(() -> client.request(options).compose(r -> r.send(body.toBuffer()))
          .compose(r -> r.body().map(b -> new dev.thinkgate.reasoning.PrefillProbe.Reply(
              r.statusCode(), b.length() > 0 && b.getByte(0) == '{'
                  ? b.toJsonObject() : new io.vertx.core.json.JsonObject()))));
    };
    GatewayConfig.RouteConfig asAuto = route.dialect() == GatewayConfig.UpstreamDialect.VLLM
        ? new GatewayConfig.RouteConfig(route.model(), route.upstream(),
            GatewayConfig.UpstreamDialect.AUTO, route.upstreamModel(), route.apiKeyEnv(),
            route.chatTemplate(), route.enableThinkingKwarg(), route.implicitThinkOpen(),
            route.timeouts(), route.healthPath())
        : route;
    io.vertx.core.Future<String> model;
    if (route.upstreamModel() != null || !route.model().contains("*")) {
      model = io.vertx.core.Future.succeededFuture(
          route.upstreamModel() != null ? route.upstreamModel() : route.model());
    } else { // a pattern: the first model the server lists (vLLM checks the name)
      io.vertx.core.http.RequestOptions list = new io.vertx.core.http.RequestOptions()
          .setMethod(io.vertx.core.http.HttpMethod.GET).setAbsoluteURI(base + "/v1/models")
          .setTimeout(10_000);
      if (apiKey != null) {
        list.putHeader("Authorization", "Bearer " + apiKey);
      }
      model = calls.call(() -> client.request(list).compose(r -> r.send()).compose(r -> r.body()))
          .map(b -> b.toJsonObject().getJsonArray("data").getJsonObject(0).getString("id"))
          .otherwise(route.model());
    }
    dev.thinkgate.reasoning.PrefillProbe probe = new dev.thinkgate.reasoning.PrefillProbe(
        transport, dev.thinkgate.reasoning.ChatTemplates.builtIn().jinja());
    return model.compose(name -> probe.probe(asAuto, name)).await();
  }

  /** True when the policy's mode (or an override it allows) prefills the assistant turn. */
  private static boolean sendsPrefill(dev.thinkgate.policy.ReasoningPolicy reasoning) {
    java.util.List<dev.thinkgate.policy.ReasoningMode> modes =
        new java.util.ArrayList<>(reasoning.allowOverride());
    modes.add(reasoning.mode());
    if (reasoning.onUnsafeInput() != null) {
      modes.add(reasoning.onUnsafeInput());
    }
    return modes.stream().anyMatch(m -> m != dev.thinkgate.policy.ReasoningMode.PASSTHROUGH);
  }

  @Command(name = "show", mixinStandardHelpOptions = true,
      description = "Print a tenant's effective policy, defaults filled in, as YAML.")
  int show(
      @Parameters(paramLabel = "TENANT", description = "tenant name ('anonymous' when auth is off)")
          String tenantName,
      @picocli.CommandLine.Mixin Files files) {
    PrintWriter out = spec.commandLine().getOut();
    PrintWriter err = spec.commandLine().getErr();
    LoadResult result = new ConfigLoader(env).load(files.config, files.policies);
    if (!result.ok()) {
      printErrors(result);
      return 1;
    }
    TenantRegistry registry = new TenantRegistry(result.config(), "passthrough");
    Optional<Tenant> tenant = registry.byName(tenantName);
    if (tenant.isEmpty()) {
      err.println("no tenant '" + tenantName + "'; tenants: "
          + String.join(", ", registry.tenants().stream().map(Tenant::name).toList()));
      err.flush();
      return 1;
    }
    Tenant t = tenant.get();
    Policy policy = result.config().policies().get(t.policy());
    out.println("# tenant: " + t.name());
    out.println("# policy: " + policy.name());
    out.println("# models: " + String.join(", ", t.models()));
    out.println("# limits: " + describe(t.limits().requestsPerMinute(), "requests/minute")
        + ", " + describe(t.limits().maxConcurrentStreams(), "concurrent streams"));
    out.print(ConfigRenderer.policyYaml(policy));
    out.flush();
    return 0;
  }

  private void printErrors(LoadResult result) {
    PrintWriter out = spec.commandLine().getOut();
    for (ConfigError error : result.errors()) {
      out.println(error);
    }
    out.flush();
    PrintWriter err = spec.commandLine().getErr();
    err.println(result.errors().size() + " configuration error(s)");
    err.flush();
  }

  private static String describe(int limit, String unit) {
    return limit == 0 ? "unlimited " + unit : limit + " " + unit;
  }
}
