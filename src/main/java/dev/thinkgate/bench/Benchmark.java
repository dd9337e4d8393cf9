package dev.thinkgate.bench;

import io.vertx.core.json.JsonArray;
import io.vertx.core.json.JsonObject;
import java.io.PrintStream;
import java.lang.management.ManagementFactory;
import java.time.Instant;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;

/**
 * Runs the selected scenarios against an in-process environment and returns the report. Bounded:
 * every round stops at its deadline and every wait has a timeout. Call from a plain thread.
 */
public final class Benchmark {
  private final BenchOptions options;
  private final Progress progress;

  public Benchmark(BenchOptions options, PrintStream progress) {
    this.options = options;
    this.progress = new Progress(progress);
  }

  /** The report of one benchmark run. */
  public record Report(String text, JsonObject json) {}

  public Report run() {
    long start = System.nanoTime();
    List<Section> sections = new ArrayList<>();
    int maxConnections = Math.max(options.idleStreams(),
        options.concurrency().stream().max(Integer::compare).orElse(1)) + 64;
    progress.line("starting emulated model, guard and gateway on 127.0.0.1");
    try (BenchEnvironment env = BenchEnvironment.start(options);
        LoadClient client = new LoadClient(maxConnections)) {
      for (String scenario : BenchOptions.ALL_SCENARIOS) {
        if (!options.scenarios().contains(scenario)) {
          continue;
        }
        progress.line("scenario " + scenario);
        sections.add(switch (scenario) {
          case "foundation" -> new FoundationScenario(env, client, options, progress).run();
          case "memory" -> new MemoryScenario(env, client, options, progress).run();
          case "modes" -> new ModesScenario(env, client, options, progress).run();
          case "guard" -> new GuardScenario(env, client, options, progress).run();
          case "relay" -> new RelayScenario(env, client, options, progress).run();
          default -> throw new IllegalStateException("unknown scenario " + scenario);
        });
      }
    }
    double seconds = (System.nanoTime() - start) / 1e9;
    progress.line(String.format(Locale.ROOT, "done in %.1f s", seconds));
    return render(sections, seconds);
  }

  private Report render(List<Section> sections, double seconds) {
    Runtime rt = Runtime.getRuntime();
    String setup = String.format(Locale.ROOT,
        "ThinkGate benchmark  %s%n"
            + "JVM %s, %d CPUs, max heap %d MiB, GC %s%n"
            + "all in one JVM on 127.0.0.1; emulated model %s, %d thinking + %d answer tokens,"
            + " one token a chunk; %d rounds x %.1f s per target after a warm-up"
            + " (JIT warm-up %.0f s); %.1f s in all%n",
        Instant.now(), System.getProperty("java.vm.version"), rt.availableProcessors(),
        rt.maxMemory() / (1024 * 1024), gcNames(),
        options.tokensPerSecond() == 0 ? "unpaced"
            : String.format(Locale.ROOT, "unpaced and paced at %.0f tokens/s per stream",
                options.tokensPerSecond()),
        options.thinkTokens(), options.answerTokens(),
        options.rounds(), options.secondsPerRound(), options.jitWarmUpSeconds(), seconds);
    StringBuilder text = new StringBuilder(setup);
    JsonArray sectionsJson = new JsonArray();
    for (Section s : sections) {
      text.append("\n== ").append(s.name()).append(" ==\n").append(s.text());
      sectionsJson.add(new JsonObject().put("name", s.name()).put("result", s.json()));
    }
    JsonObject json = new JsonObject()
        .put("started", Instant.now().toString())
        .put("jvm", System.getProperty("java.vm.version"))
        .put("cpus", rt.availableProcessors())
        .put("max_heap_bytes", rt.maxMemory())
        .put("options", new JsonObject()
            .put("scenarios", new JsonArray(BenchOptions.ALL_SCENARIOS.stream()
                .filter(options.scenarios()::contains).toList()))
            .put("concurrency", new JsonArray(options.concurrency()))
            .put("rounds", options.rounds())
            .put("seconds_per_round", options.secondsPerRound())
            .put("think_tokens", options.thinkTokens())
            .put("answer_tokens", options.answerTokens())
            .put("idle_streams", options.idleStreams())
            .put("guard_latency_ms", options.guardLatencyMs())
            .put("tokens_per_second", options.tokensPerSecond())
            .put("warm_up_seconds", options.warmUpSeconds())
            .put("jit_warm_up_seconds", options.jitWarmUpSeconds()))
        .put("seconds", LatencyTable.round(seconds, 1))
        .put("sections", sectionsJson);
    return new Report(text.toString(), json);
  }

  private static String gcNames() {
    return String.join("+", ManagementFactory.getGarbageCollectorMXBeans().stream()
        .map(b -> b.getName()).toList());
  }

  /** Waits on the benchmark's own thread (never an event loop) between measurements. */
  static void pause(long ms) {
    try {
      Thread.sleep(ms);
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
      throw new IllegalStateException("interrupted", e);
    }
  }
}
