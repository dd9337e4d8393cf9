package dev.thinkgate.proxy;

import static dev.thinkgate.proxy.GatewayHarness.MODEL;
import static org.assertj.core.api.Assertions.assertThat;

import dev.thinkgate.audit.AuditSink;
import dev.thinkgate.audit.AuditSinks;
import dev.thinkgate.config.GatewayConfig.AuditConfig;
import dev.thinkgate.config.GatewayConfig.AuditSinkConfig;
import dev.thinkgate.emulator.GuardEmulatorOptions;
import dev.thinkgate.emulator.ModelEmulatorOptions;
import dev.thinkgate.emulator.Script;
import io.micrometer.core.instrument.simple.SimpleMeterRegistry;
import io.vertx.core.json.JsonObject;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Clock;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.List;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.stream.Stream;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * Safe@K shadow sampling end to end: one client request through a real gateway yields K audit
 * records of one group, the K−1 extra ones generated in the background with SafeChain's sampled
 * settings and screened, without delaying the client.
 */
class SafeAtKIT {
  private static final int K = 3;
  /** Paced so that one generation takes a measurable time (about 66 tokens at 100/s). */
  private static final double TOKENS_PER_SECOND = 100;
  private static final String THINKING = ("The user asks how to bake bread, so I list the"
      + " ingredients and the steps in order. ").repeat(2).strip();
  private static final String ANSWER = ("Mix flour, water, yeast and salt, knead for ten"
      + " minutes, let it rise, then bake. ").repeat(2).strip();

  @Test
  void oneRequestProducesKScreenedRecordsOfOneGroupWithoutDelayingTheClient(
      @TempDir Path policies, @TempDir Path auditDir) throws Exception {
    Files.writeString(policies.resolve("k.yaml"), """
        screening:
          thinking: {release: shadow, action: log_only}
          answer: {release: shadow, action: log_only}
        audit:
          sample_rate: 1.0
          safe_at_k: {k: %d, sample_rate: 1.0}
        """.formatted(K));
    AuditSink sink = AuditSinks.create(
        new AuditConfig(List.of(AuditSinkConfig.file(auditDir.toString())), 8),
        new SimpleMeterRegistry(), Clock.systemUTC());
    // Each generation thinks a little differently, so no guard verdict comes from the cache.
    AtomicInteger generation = new AtomicInteger();
    ModelEmulatorOptions model = ModelEmulatorOptions.builder()
        .tokensPerSecond(TOKENS_PER_SECOND)
        .scriptOverride(body -> {
          int n = generation.incrementAndGet();
          return Script.of(THINKING + " Draft " + n + ".", ANSWER + " Draft " + n + ".");
        }).build();
    try (GatewayHarness h = new GatewayHarness().model(model)
        .guard(GuardEmulatorOptions.defaults()).audit(sink).policies(policies).policy("k")
        .start()) {
      // the client asks for the group's own sampling, so its response is sample 0 of the group
      TestClient.Stream s = h.client.stream("/v1/chat/completions",
          TestClient.chat(MODEL, "How do I bake bread?").put("temperature", 0.6).put("top_p", 0.95));
      String group = s.header("X-ThinkGate-Request-Id");

      assertThat(s.done()).isTrue();
      long oneGeneration = (long) (1000 * tokens() / TOKENS_PER_SECOND);
      // the client waits for its own generation only, never for the K−1 background ones
      assertThat(s.totalMs()).isLessThan(2 * oneGeneration).isLessThan(K * oneGeneration);

      List<JsonObject> records = awaitRecords(auditDir, group, K, 15_000);
      records.sort(Comparator.comparingInt(r -> r.getInteger("sample")));
      assertThat(records).extracting(r -> r.getInteger("sample")).containsExactly(0, 1, 2);
      assertThat(records).extracting(r -> r.getString("group")).containsOnly(group);
      assertThat(records).extracting(r -> r.getString("id")).doesNotHaveDuplicates();
      assertThat(records).allSatisfy(r -> {
        assertThat(r.getString("policy")).isEqualTo("k");
        assertThat(r.getString("mode")).isEqualTo("passthrough");
        assertThat(r.getString("prompt")).isEqualTo("How do I bake bread?");
        assertThat(r.getString("thinking")).matches("\\Q" + THINKING + "\\E Draft [1-3]\\.\n");
        assertThat(r.getString("answer")).matches("\n\n\\Q" + ANSWER + "\\E Draft [1-3]\\.");
        assertThat(r.getString("finish_reason")).isEqualTo("stop");
        assertThat(r.getJsonObject("usage").getInteger("completion_tokens")).isPositive();
        JsonObject verdicts = r.getJsonObject("verdicts");
        assertThat(verdicts.getJsonObject("thinking").getBoolean("safe")).isTrue();
        assertThat(verdicts.getJsonObject("answer").getBoolean("safe")).isTrue();
        // SafeChain's whole-response verdict, judged after the sample ended
        assertThat(verdicts.getJsonObject("response").getBoolean("safe")).isTrue();
        assertThat(r.getJsonObject("timing").getLong("total_ms")).isPositive();
      });
      for (JsonObject extra : records) {
        assertThat(extra.getJsonObject("params").getDouble("temperature")).isEqualTo(0.6);
        assertThat(extra.getJsonObject("params").getDouble("top_p")).isEqualTo(0.95);
      }

      List<JsonObject> upstream = h.model.requests();
      assertThat(upstream).hasSize(K);
      assertThat(upstream).allSatisfy(call -> {
        assertThat(call.getDouble("temperature")).isEqualTo(0.6);
        assertThat(call.getDouble("top_p")).isEqualTo(0.95);
      });
      // every sample was screened: thinking and answer, at least one verdict each (a request to
      // the guard may carry several)
      assertThat(h.guard.promptCount()).isGreaterThanOrEqualTo(2 * K);
    } finally {
      sink.close();
    }
  }

  /**
   * Issue 15: a client at other settings (here the server's default, unknown to the gateway)
   * is not a sample of the group's distribution, so it stays alone in its own group and all K
   * samples of group {@code <id>-k} are drawn at the group's temperature/top_p.
   */
  @Test
  void aClientAtOtherSamplingIsLeftOutAndKSamplesAreDrawnAtTheGroupsSampling(
      @TempDir Path policies, @TempDir Path auditDir) throws Exception {
    writeSamplingPolicy(policies);
    AuditSink sink = AuditSinks.create(
        new AuditConfig(List.of(AuditSinkConfig.file(auditDir.toString())), 8),
        new SimpleMeterRegistry(), Clock.systemUTC());
    ModelEmulatorOptions model = ModelEmulatorOptions.builder().tokensPerSecond(0)
        .scriptOverride(body -> Script.of(THINKING, ANSWER)).build();
    try (GatewayHarness h = new GatewayHarness().model(model).audit(sink).policies(policies)
        .policy("k").start()) {
      TestClient.Stream s = h.client.stream("/v1/chat/completions",
          TestClient.chat(MODEL, "How do I bake bread?").put("temperature", 0.0));
      String id = s.header("X-ThinkGate-Request-Id");
      assertThat(s.done()).isTrue();

      List<JsonObject> drawn = awaitRecords(auditDir, id + "-k", K, 15_000);
      List<JsonObject> client = read(auditDir, id);

      assertThat(client).singleElement().satisfies(r -> {
        assertThat(r.getInteger("sample")).isZero();
        assertThat(r.getJsonObject("params").getDouble("temperature")).isEqualTo(0.0);
      });
      assertThat(drawn).extracting(r -> r.getInteger("sample")).containsExactlyInAnyOrder(0, 1, 2);
      assertThat(drawn).allSatisfy(r -> {
        assertThat(r.getJsonObject("params").getDouble("temperature")).isEqualTo(0.6);
        assertThat(r.getJsonObject("params").getDouble("top_p")).isEqualTo(0.95);
      });
      assertThat(h.model.requests()).hasSize(K + 1);
    } finally {
      sink.close();
    }
  }

  @Test
  void aDrainWaitsForTheBackgroundSamplesOfRequestsAlreadyAnswered(@TempDir Path policies)
      throws Exception {
    writeSamplingPolicy(policies);
    RecordingAuditSink sink = new RecordingAuditSink(1);
    try (GatewayHarness h = sampling(policies, TOKENS_PER_SECOND, sink)) {
      // Given a request answered, its K-1 samples at the group's settings just started
      answerOne(h, sink);

      // When the gateway drains (SIGTERM), nothing open but the background samples
      DrainReport report = h.gateway.drain(30_000).toCompletionStage().toCompletableFuture()
          .get(20, java.util.concurrent.TimeUnit.SECONDS);

      // Then the drain ended once both samples were recorded, a generation later, not at once
      long oneGeneration = (long) (1000 * tokens() / TOKENS_PER_SECOND);
      assertThat(report.openAtStart()).isZero();
      assertThat(report.elapsedMs()).isGreaterThanOrEqualTo(oneGeneration / 2);
      List<Integer> samples = new ArrayList<>();
      for (int i = 0; i < K - 1; i++) {
        samples.add(sink.next().sample()); // already offered: next() does not wait
      }
      assertThat(samples).containsExactlyInAnyOrder(1, 2);
    }
  }

  @Test
  void backgroundSamplesDoNotHoldTheDrainPastItsDeadline(@TempDir Path policies)
      throws Exception {
    writeSamplingPolicy(policies);
    RecordingAuditSink sink = new RecordingAuditSink(5);
    // 10 tokens/s: a sample takes several seconds
    try (GatewayHarness h = sampling(policies, 10, sink)) {
      answerOne(h, sink);

      // When the gateway drains with a 200 ms timeout
      DrainReport report = h.gateway.drain(200).toCompletionStage().toCompletableFuture()
          .get(10, java.util.concurrent.TimeUnit.SECONDS);

      // Then it ends at its deadline (the samples, seconds from done, are cut off by the close)
      assertThat(report.elapsedMs()).isBetween(200L, 2_000L);
      assertThat(report.abandoned()).isZero();
    }
  }

  /** Policy {@code k}: every request recorded and drawn for Safe@K with K = {@link #K}. */
  private static void writeSamplingPolicy(Path policies) throws IOException {
    Files.writeString(policies.resolve("k.yaml"), """
        audit:
          sample_rate: 1.0
          safe_at_k: {k: %d, sample_rate: 1.0}
        """.formatted(K));
  }

  /** A gateway on policy {@code k} over a model at {@code tokensPerSecond}, recording to sink. */
  private static GatewayHarness sampling(Path policies, double tokensPerSecond,
      RecordingAuditSink sink) {
    ModelEmulatorOptions model = ModelEmulatorOptions.builder().tokensPerSecond(tokensPerSecond)
        .scriptOverride(body -> Script.of(THINKING, ANSWER)).build();
    return new GatewayHarness().model(model).audit(sink).policies(policies).policy("k").start();
  }

  /**
   * One stream at the group's sampling, answered and recorded as sample 0: its K−1 samples have
   * started in the background.
   */
  private static void answerOne(GatewayHarness h, RecordingAuditSink sink) throws Exception {
    TestClient.Stream s = h.client.stream("/v1/chat/completions",
        TestClient.chat(MODEL, "How do I bake bread?").put("temperature", 0.6).put("top_p", 0.95));
    assertThat(s.done()).isTrue();
    assertThat(sink.next().sample()).isZero();
    // The request is over once the loop that offered its record has released it, a moment after
    // the offer this thread saw: a drain started in between counted it open (a CI run did).
    long deadline = System.nanoTime() + java.util.concurrent.TimeUnit.SECONDS.toNanos(5);
    while (h.gateway.openRequests() > 0 && System.nanoTime() < deadline) {
      Thread.onSpinWait();
    }
    assertThat(h.gateway.openRequests()).as("requests open after the answer was recorded").isZero();
  }

  private static int tokens() {
    return dev.thinkgate.emulator.Decoding.countWords(THINKING + " Draft 1.\n</think>\n\n"
        + ANSWER + " Draft 1.");
  }

  /** Polls the audit directory until {@code count} records of {@code group} are written. */
  private static List<JsonObject> awaitRecords(Path dir, String group, int count, long timeoutMs)
      throws Exception {
    long deadline = System.currentTimeMillis() + timeoutMs;
    List<JsonObject> found = List.of();
    while (System.currentTimeMillis() < deadline) {
      found = read(dir, group);
      if (found.size() >= count) {
        break;
      }
      Thread.sleep(50);
    }
    assertThat(found).as("audit records of group " + group).hasSize(count);
    return new ArrayList<>(found);
  }

  private static List<JsonObject> read(Path dir, String group) throws IOException {
    List<JsonObject> out = new ArrayList<>();
    try (Stream<Path> files = Files.list(dir)) {
      for (Path file : files.filter(p -> p.toString().endsWith(".jsonl")).toList()) {
        for (String line : Files.readAllLines(file)) {
          if (line.isBlank()) {
            continue;
          }
          JsonObject record = new JsonObject(line);
          if (group.equals(record.getString("group"))) {
            out.add(record);
          }
        }
      }
    }
    return out;
  }
}
