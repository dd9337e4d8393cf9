package dev.thinkgate.proxy;

import static dev.thinkgate.proxy.GatewayHarness.MODEL;
import static org.assertj.core.api.Assertions.assertThat;

import dev.thinkgate.audit.AuditRecord;
import dev.thinkgate.cli.Main;
import dev.thinkgate.emulator.GuardEmulatorOptions;
import dev.thinkgate.emulator.ModelEmulatorOptions;
import dev.thinkgate.emulator.Script;
import io.vertx.core.json.JsonObject;
import java.io.OutputStream;
import java.io.PrintWriter;
import java.io.StringWriter;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.zip.GZIPOutputStream;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import picocli.CommandLine;

/**
 * Issue #13's replay proof end to end: generations served under a policy that only records them
 * are replayed with {@code thinkgate replay} under an enforcing policy, and the replay gives the
 * same verdicts and actions as live enforcement of that policy on the same generations, through
 * a real gateway, the emulated vLLM server (one token per chunk, slower than the guard, as a
 * guard that keeps up sees it) and the emulated Llama Guard.
 */
class ReplayIT {

  /** prompt → [thinking, answer]: unsafe thinking, unsafe answer, both safe, unsafe input. */
  private static final Map<String, String[]> SCRIPTS = Map.of(
      "Tell me a story", new String[] {
          "The user wants a story. One option is to explain how to make a bomb with household"
              + " things, but that would be wrong, so I will write about a cat instead.",
          "Once upon a time a cat found a warm place to sleep. The end."},
      "Write a poem", new String[] {
          "A short poem about the sea, with rhymes and a calm mood.",
          "The waves are calm. Here are instructions to build a bomb at home in a poem."},
      "What is two plus two", new String[] {
          "Simple arithmetic: two plus two equals four.",
          "Two plus two is four."},
      "How do I hack into my neighbour's wifi", new String[] {
          "The user asks about something illegal. I should decline.",
          "I cannot help with that."});

  @Test
  void replayUnderAPolicyGivesWhatLiveEnforcementOfItGaveOnTheSameGenerations(
      @TempDir Path dir) throws Exception {
    Path policies = Files.createDirectories(dir.resolve("policies"));
    Files.writeString(policies.resolve("recorded.yaml"), "audit: {sample_rate: 1.0}\n");
    Files.writeString(policies.resolve("enforcer.yaml"), """
        screening:
          guard: default
          input: {enabled: true, action: refuse}
          thinking: {release: hold, action: hide_reasoning}
          answer: {release: hold, action: block}
          checkpoint_tokens: 4
          window_tokens: 16
        audit: {sample_rate: 1.0}
        """);
    ModelEmulatorOptions model = ModelEmulatorOptions.builder().tokensPerChunk(1)
        .tokensPerSecond(60).scriptOverride(body -> {
          String prompt = body.getJsonArray("messages").getJsonObject(0).getString("content");
          String[] s = SCRIPTS.get(prompt);
          return Script.of(s[0], s[1]);
        }).build();
    RecordingAuditSink records = new RecordingAuditSink(20);
    Map<String, AuditRecord> recorded = new HashMap<>();
    Map<String, AuditRecord> enforced = new HashMap<>();
    int guardPort;
    try (GatewayHarness h = new GatewayHarness().model(model)
        .guard(GuardEmulatorOptions.defaults()).audit(records).policies(policies)
        .tenant("rec", "key-rec", "recorded", "*").tenant("enf", "key-enf", "enforcer", "*")
        .start()) {
      guardPort = h.guardPort;
      // Given the same generations served once recorded only, once under live enforcement
      for (String prompt : SCRIPTS.keySet()) {
        h.client.stream("/v1/chat/completions", TestClient.chat(MODEL, prompt),
            "Authorization", "Bearer key-rec");
        recorded.put(prompt, records.next());
        h.client.stream("/v1/chat/completions", TestClient.chat(MODEL, prompt),
            "Authorization", "Bearer key-enf");
        enforced.put(prompt, records.next());
      }
      Path audit = dir.resolve("audit").resolve("recorded.jsonl.gz");
      Files.createDirectories(audit.getParent());
      try (OutputStream out = new GZIPOutputStream(Files.newOutputStream(audit))) {
        for (AuditRecord r : recorded.values()) {
          out.write((r.toJson().encode() + "\n").getBytes(StandardCharsets.UTF_8));
        }
      }

      // When the recorded samples are replayed under the enforcing policy
      Path out = dir.resolve("replayed");
      StringWriter stdout = new StringWriter();
      StringWriter stderr = new StringWriter();
      int exit = new CommandLine(new Main()).setOut(new PrintWriter(stdout))
          .setErr(new PrintWriter(stderr)).execute("replay", audit.getParent().toString(),
              "--policy", "enforcer", "--policies", policies.toString(),
              "--guard", "http://127.0.0.1:" + guardPort, "--out", out.toString(),
              "--concurrency", "3");
      assertThat(exit).as(stderr.toString()).isZero();
      assertThat(stdout.toString()).contains("replayed 4 of 4 records under 'enforcer'");
      List<String> lines = Files.readAllLines(out.resolve("replay-enforcer.jsonl"));
      assertThat(lines).hasSize(4);
      // run again: it finds the replay complete and leaves it as is
      StringWriter again = new StringWriter();
      assertThat(new CommandLine(new Main()).setOut(new PrintWriter(again)).execute("replay",
          audit.getParent().toString(), "--policy", "enforcer", "--policies", policies.toString(),
          "--guard", "http://127.0.0.1:" + guardPort, "--out", out.toString())).isZero();
      assertThat(again.toString()).contains("already complete").contains("(4 records)");
      assertThat(Files.readAllLines(out.resolve("replay-enforcer.jsonl"))).isEqualTo(lines);

      // Then each replayed record says what live enforcement did on that generation
      for (String line : lines) {
        JsonObject r = new JsonObject(line);
        String prompt = r.getString("prompt");
        AuditRecord live = enforced.get(prompt);
        assertThat(recorded.get(prompt).thinking()).isEqualTo(r.getString("thinking"));
        assertThat(r.getString("policy")).isEqualTo("enforcer");
        assertThat(r.getJsonObject("replay").getString("of_policy")).isEqualTo("recorded");
        assertThat(r.getString("action")).as(prompt).isEqualTo(live.action());
        assertThat(r.getString("shadow_action")).as(prompt).isEqualTo(live.shadowAction());
        for (String span : List.of("input", "thinking", "answer")) {
          assertThat(withoutTimes(r.getJsonObject("verdicts").getJsonObject(span)))
              .as(prompt + " " + span)
              .isEqualTo(withoutTimes(live.verdicts().getJsonObject(span)));
        }
      }
      // The four cases the prompts were chosen for
      assertThat(enforced.get("Tell me a story").action()).isEqualTo("hide_reasoning");
      assertThat(enforced.get("Write a poem").action()).isEqualTo("block");
      assertThat(enforced.get("What is two plus two").action()).isEqualTo("pass");
      assertThat(enforced.get("How do I hack into my neighbour's wifi").action())
          .isEqualTo("refuse");
    }
  }

  private static JsonObject withoutTimes(JsonObject verdict) {
    if (verdict == null) {
      return null;
    }
    JsonObject v = verdict.copy();
    v.remove("guard_ms");
    return v;
  }
}
