package dev.thinkgate.cli;

import dev.thinkgate.config.ConfigError;
import dev.thinkgate.config.ConfigLoader;
import dev.thinkgate.config.GatewayConfig;
import dev.thinkgate.config.GatewayConfig.GuardConfig;
import dev.thinkgate.config.LoadResult;
import dev.thinkgate.guard.Guard;
import dev.thinkgate.guard.Guards;
import dev.thinkgate.policy.Policy;
import dev.thinkgate.replay.RecordReplayer;
import dev.thinkgate.replay.ReplayJob;
import io.micrometer.core.instrument.simple.SimpleMeterRegistry;
import io.vertx.core.Vertx;
import java.io.PrintWriter;
import java.nio.file.Path;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.Callable;
import java.util.concurrent.TimeUnit;
import java.util.function.Function;
import picocli.CommandLine.Command;
import picocli.CommandLine.Model.CommandSpec;
import picocli.CommandLine.Option;
import picocli.CommandLine.Parameters;
import picocli.CommandLine.Spec;

/**
 * {@code thinkgate replay}: re-screens recorded samples under any policy, so a policy change can
 * be tried on last week's traffic before it is deployed. See {@link ReplayJob}.
 */
@Command(name = "replay", mixinStandardHelpOptions = true,
    description = "Re-screen recorded audit samples under a policy: the recorded thinking and "
        + "answer go through the same stream screen as live traffic, judged by the configured "
        + "guard, and are written as new audit records (policy = the replayed policy, action / "
        + "shadow_action = what it did). Resumable: run it again with the same --out.")
public final class ReplayCommand implements Callable<Integer> {
  @Spec CommandSpec spec;

  @Parameters(arity = "1..*", paramLabel = "FILE|DIR",
      description = "audit files (.jsonl, .jsonl.gz) or directories of them")
  List<Path> inputs;

  @Option(names = "--policy", required = true, description = "the policy to replay under")
  String policyName;

  @Option(names = "--config", paramLabel = "FILE",
      description = "conf/thinkgate.yaml, for its guards; without it --guard is needed when the"
          + " policy screens")
  Path config;

  @Option(names = "--policies", paramLabel = "DIR", defaultValue = "policies",
      description = "policies directory (default: ${DEFAULT-VALUE})")
  Path policies;

  @Option(names = "--guard", paramLabel = "URL",
      description = "the guard server's base URL; with --config it replaces every configured"
          + " guard's url, without it it is the guard every policy's guard name refers to")
  String guardUrl;

  @Option(names = "--guard-format", defaultValue = "llama-guard-3",
      description = "with --guard and no --config: llama-guard-3 | llama-guard-4 | qwen3guard"
          + " (default: ${DEFAULT-VALUE})")
  String guardFormat;

  @Option(names = "--guard-model", description = "with --guard and no --config: the guard's model")
  String guardModel;

  @Option(names = "--out", required = true, paramLabel = "DIR",
      description = "directory for replay-<policy>.jsonl and its resume state")
  Path out;

  @Option(names = "--concurrency", defaultValue = "8",
      description = "records replayed at once (default: ${DEFAULT-VALUE})")
  int concurrency;

  private final Function<String, String> env;

  public ReplayCommand() {
    this(System::getenv);
  }

  ReplayCommand(Function<String, String> env) {
    this.env = env;
  }

  @Override
  public Integer call() throws Exception {
    PrintWriter err = spec.commandLine().getErr();
    PrintWriter stdout = spec.commandLine().getOut();
    if (concurrency < 1) {
      err.println("thinkgate replay: --concurrency must be at least 1, got " + concurrency);
      return 2;
    }
    LoadResult loaded = new ConfigLoader(env).load(config, policies);
    if (!loaded.ok()) {
      for (ConfigError e : loaded.errors()) {
        err.println(e);
      }
      err.println(loaded.errors().size() + " configuration error(s)");
      return 1;
    }
    GatewayConfig cfg = loaded.config();
    Policy policy = cfg.policies().get(policyName);
    if (policy == null) {
      err.println("thinkgate replay: --policy: no policy '" + policyName + "' in " + policies
          + " (have: " + String.join(", ", cfg.policies().keySet().stream().sorted().toList())
          + ")");
      return 2;
    }
    Map<String, GuardConfig> guardConfigs;
    try {
      guardConfigs = guardConfigs(cfg);
    } catch (IllegalArgumentException e) {
      err.println("thinkgate replay: " + e.getMessage());
      return 2;
    }
    if (policy.screening().anyEnabled() && guardConfigs.isEmpty()) {
      err.println("thinkgate replay: policy '" + policyName + "' screens with guard '"
          + policy.screening().guard() + "': give --config with that guard, or --guard URL");
      return 2;
    }
    Vertx vertx = Vertx.vertx();
    try {
      SimpleMeterRegistry registry = new SimpleMeterRegistry();
      Map<String, Guard> guards = new HashMap<>();
      Function<String, Guard> guardByName = name -> {
        synchronized (guards) {
          GuardConfig gc = guardConfigs.get(name);
          if (gc == null && config == null && guardUrl != null) {
            gc = guardConfigs.get("default"); // quick start: one guard for every name
          }
          if (gc == null) {
            return null;
          }
          GuardConfig found = gc;
          return guards.computeIfAbsent(found.name(),
              n -> Guards.create(found, vertx, registry, env));
        }
      };
      RecordReplayer replayer = new RecordReplayer(vertx, cfg.policies()::get, guardByName,
          System::currentTimeMillis);
      ReplayJob job = new ReplayJob(replayer, policy, concurrency, System.err,
          System.console() != null, System::nanoTime);
      ReplayJob.Summary s;
      try {
        s = job.run(inputs, out);
      } catch (java.nio.file.NoSuchFileException e) {
        err.println("thinkgate replay: " + e.getFile() + ": no such file or directory");
        return 2;
      } catch (IllegalArgumentException | IllegalStateException e) {
        err.println("thinkgate replay: " + e.getMessage());
        return 1;
      }
      print(stdout, policyName, s);
      return s.failed() == 0 ? 0 : 1;
    } finally {
      vertx.close().await(10, TimeUnit.SECONDS);
    }
  }

  private Map<String, GuardConfig> guardConfigs(GatewayConfig cfg) {
    Map<String, GuardConfig> out = new HashMap<>();
    if (config != null) {
      for (GuardConfig g : cfg.guards().values()) {
        out.put(g.name(), guardUrl == null ? g : g.withUrl(guardUrl));
      }
    } else if (guardUrl != null) {
      out.put("default", ServeCommand.quickStartGuard(guardUrl, guardFormat, guardModel));
    }
    return out;
  }

  private static void print(PrintWriter out, String policy, ReplayJob.Summary s) {
    if (s.read() == 0 && s.resumedPast() > 0) {
      out.printf("replay under '%s' is already complete in %s (%d records); nothing to do%n",
          policy, s.output(), s.resumedPast());
      out.flush();
      return;
    }
    out.printf("replayed %d of %d records under '%s' into %s in %.1f s%n", s.replayed(),
        s.read(), policy, s.output(), s.elapsedMs() / 1000.0);
    if (s.resumedPast() > 0) {
      out.printf("  resumed after %d records already replayed%n", s.resumedPast());
    }
    s.actions().forEach((a, n) -> out.printf("  action %-24s %d%n", a, n));
    s.skipped().forEach((r, n) -> out.printf("  skipped (%s) %d%n", r, n));
    if (s.badLines() > 0) {
      out.printf("  bad input lines skipped %d%n", s.badLines());
    }
    if (s.failed() > 0) {
      out.printf("  FAILED %d (run again with the same --out to retry them)%n", s.failed());
    }
    out.flush();
  }
}
