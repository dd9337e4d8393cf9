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
  int check(@picocli.CommandLine.Mixin Files files) {
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
    return 0;
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
