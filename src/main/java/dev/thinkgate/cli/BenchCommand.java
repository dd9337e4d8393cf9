package dev.thinkgate.cli;

import dev.thinkgate.bench.BenchOptions;
import dev.thinkgate.bench.Benchmark;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.concurrent.Callable;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;

/**
 * {@code thinkgate bench}: the performance benchmark. Starts the emulated model and guard and the
 * gateway in this JVM on 127.0.0.1, measures, prints progress on stderr and the report on stdout,
 * and stops by itself.
 */
@Command(name = "bench", mixinStandardHelpOptions = true,
    description = "Measure the gateway against the emulated model and guard (one JVM, 127.0.0.1).")
public final class BenchCommand implements Callable<Integer> {
  @Option(names = "--scenarios", split = ",", defaultValue = "foundation,memory,modes,guard",
      description = "scenarios to run (default: ${DEFAULT-VALUE})")
  List<String> scenarios;

  @Option(names = "--concurrency", split = ",", defaultValue = "1,64,256",
      description = "concurrent streams of the foundation scenario (default: ${DEFAULT-VALUE})")
  List<Integer> concurrency;

  @Option(names = "--rounds", defaultValue = "5", description = "measured rounds per target (default: ${DEFAULT-VALUE})")
  int rounds;

  @Option(names = "--seconds-per-round", defaultValue = "3",
      description = "length of a round in seconds (default: ${DEFAULT-VALUE})")
  double secondsPerRound;

  @Option(names = "--think-tokens", defaultValue = "64",
      description = "thinking tokens the emulated model emits (default: ${DEFAULT-VALUE})")
  int thinkTokens;

  @Option(names = "--answer-tokens", defaultValue = "64",
      description = "answer tokens the emulated model emits (default: ${DEFAULT-VALUE})")
  int answerTokens;

  @Option(names = "--idle-streams", defaultValue = "1000",
      description = "idle streams held open by the memory scenario (default: ${DEFAULT-VALUE})")
  int idleStreams;

  @Option(names = "--guard-latency-ms", defaultValue = "20",
      description = "emulated guard latency (default: ${DEFAULT-VALUE})")
  long guardLatencyMs;

  @Option(names = "--tokens-per-second", defaultValue = "100",
      description = "speed per stream of the paced emulated model (foundation's paced pass, guard"
          + " detection lag); 0 = the foundation runs only its unpaced saturation pass"
          + " (default: ${DEFAULT-VALUE})")
  double tokensPerSecond;

  @Option(names = "--warm-up-seconds", defaultValue = "1",
      description = "foundation: discarded warm-up round per target and concurrency"
          + " (default: ${DEFAULT-VALUE})")
  double warmUpSeconds;

  @Option(names = "--jit-warm-up-seconds", defaultValue = "30",
      description = "foundation and relay: unpaced traffic through the targets before measuring,"
          + " so the JVM has compiled the paths they take (default: ${DEFAULT-VALUE})")
  double jitWarmUpSeconds;

  @Option(names = "--json", description = "also write the report as JSON to this file")
  Path json;

  @Override
  public Integer call() throws Exception {
    CliLogging.configure();
    // Only warnings: a line per request would cost more than the gateway work being measured.
    java.util.logging.Logger.getLogger("").setLevel(java.util.logging.Level.WARNING);
    BenchOptions options;
    try {
      options = new BenchOptions(new LinkedHashSet<>(scenarios), concurrency, rounds,
          secondsPerRound, thinkTokens, answerTokens, idleStreams, guardLatencyMs, json,
          tokensPerSecond, warmUpSeconds, jitWarmUpSeconds);
    } catch (IllegalArgumentException e) {
      System.err.println("thinkgate bench: " + e.getMessage());
      return 2;
    }
    Benchmark.Report report = new Benchmark(options, System.err).run();
    System.out.print(report.text());
    System.out.flush();
    if (json != null) {
      Files.writeString(json, report.json().encodePrettily() + "\n");
      System.err.println("JSON report written to " + json);
    }
    return 0;
  }
}
