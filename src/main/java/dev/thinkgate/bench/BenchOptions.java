package dev.thinkgate.bench;

import java.nio.file.Path;
import java.util.List;
import java.util.Set;

/**
 * What {@code thinkgate bench} runs.
 *
 * @param scenarios any of {@link #ALL_SCENARIOS}, run in that order
 * @param concurrency concurrent streams of the foundation scenario (the others use 64, or the
 *     largest value below 64 when none is 64)
 * @param rounds measured rounds per target (a discarded warm-up round comes first)
 * @param secondsPerRound length of one round
 * @param idleStreams streams held open by the memory scenario
 * @param json where to write the JSON report, or null
 * @param tokensPerSecond pace of the paced emulated model per stream (the foundation's paced pass
 *     and the guard's detection lag); 0 = the foundation skips its paced pass
 * @param warmUpSeconds discarded warm-up round per target and concurrency
 * @param jitWarmUpSeconds unpaced traffic before the foundation's and the relay's measured
 *     rounds, through the targets they measure, so the JVM has compiled the paths they take
 */
public record BenchOptions(
    Set<String> scenarios, List<Integer> concurrency, int rounds, double secondsPerRound,
    int thinkTokens, int answerTokens, int idleStreams, long guardLatencyMs, Path json,
    double tokensPerSecond, double warmUpSeconds, double jitWarmUpSeconds) {

  public static final List<String> ALL_SCENARIOS = List.of("foundation", "memory", "modes", "guard", "relay");

  public BenchOptions {
    scenarios = Set.copyOf(scenarios);
    concurrency = List.copyOf(concurrency);
    for (String s : scenarios) {
      if (!ALL_SCENARIOS.contains(s)) {
        throw new IllegalArgumentException("unknown scenario '" + s + "'; allowed: "
            + String.join(", ", ALL_SCENARIOS));
      }
    }
    if (scenarios.isEmpty()) {
      throw new IllegalArgumentException("no scenario selected");
    }
    if (concurrency.isEmpty() || concurrency.stream().anyMatch(c -> c < 1 || c > 4096)) {
      throw new IllegalArgumentException("concurrency values must be in 1..4096, was " + concurrency);
    }
    check("rounds", rounds, 1, 100);
    if (!(secondsPerRound > 0 && secondsPerRound <= 600)) {
      throw new IllegalArgumentException("seconds-per-round must be in (0, 600], was "
          + secondsPerRound);
    }
    check("think-tokens", thinkTokens, 1, 100_000);
    check("answer-tokens", answerTokens, 1, 100_000);
    check("idle-streams", idleStreams, 1, 1_000);
    check("guard-latency-ms", guardLatencyMs, 0, 10_000);
    if (!(warmUpSeconds >= 0 && warmUpSeconds <= 600)) {
      throw new IllegalArgumentException("warm-up-seconds must be in 0..600, was " + warmUpSeconds);
    }
    if (!(jitWarmUpSeconds >= 0 && jitWarmUpSeconds <= 600)) {
      throw new IllegalArgumentException("jit-warm-up-seconds must be in 0..600, was "
          + jitWarmUpSeconds);
    }
    if (!(tokensPerSecond >= 0 && tokensPerSecond <= 1_000_000)) {
      throw new IllegalArgumentException("tokens-per-second must be in 0..1000000, was "
          + tokensPerSecond);
    }
  }

  private static void check(String name, long value, long min, long max) {
    if (value < min || value > max) {
      throw new IllegalArgumentException(name + " must be in " + min + ".." + max + ", was "
          + value);
    }
  }

  /** The concurrency of the modes and guard scenarios. */
  int modesConcurrency() {
    return concurrency.contains(64) ? 64
        : concurrency.stream().filter(c -> c < 64).max(Integer::compare)
            .orElse(concurrency.get(0));
  }

  /** The prompt markers that make the emulated model emit exactly these token counts. */
  String markers() {
    return "[[think:" + thinkTokens + "]] [[answer:" + answerTokens + "]]";
  }
}
