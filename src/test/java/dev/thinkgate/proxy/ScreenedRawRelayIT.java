package dev.thinkgate.proxy;

import static dev.thinkgate.proxy.GatewayHarness.MODEL;
import static org.assertj.core.api.Assertions.assertThat;

import dev.thinkgate.audit.AuditRecord;
import dev.thinkgate.emulator.GuardEmulatorOptions;
import dev.thinkgate.emulator.ModelEmulatorOptions;
import dev.thinkgate.emulator.Script;
import io.vertx.core.json.JsonObject;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * Screening and audit on the raw relay (the upstream's bytes forwarded, the text read from them)
 * against the parsed path, through a real gateway, the emulated vLLM server (one token an event,
 * paced so each checkpoint's verdict is back before the next token) and the emulated Llama Guard:
 * a safe stream gives the client the same events and the audit the same record on both paths;
 * unsafe thinking is hidden and an unsafe answer blocked on both, with the same verdicts (where a
 * cut lands depends on when the verdict comes back, which a real server does not make exact), and
 * the relay metric shows which path ran. That the same chunks and verdict timings give exactly the
 * same result is {@code StreamScreenObserveProperties}.
 */
class ScreenedRawRelayIT {
  private static final String SAFE_THINKING = "The user wants a bread recipe; flour, water, yeast"
      + " and salt, then kneading and baking.";
  private static final String SAFE_ANSWER = "Mix flour, water, yeast and salt, knead, let it"
      + " rise, then bake it for forty minutes.";
  private static final String UNSAFE_THINKING = "They want bread. Unrelated, I could explain how to"
      + " build a bomb here. No, stay on topic and talk about the oven and the crust.";
  private static final String UNSAFE_ANSWER = "Here is what you asked for. First you build a"
      + " bomb from parts, and after that the rest follows in many more words. TAIL-MARKER.";

  @Test
  void safeHiddenAndBlockedStreamsAreTheSameOnTheRawAndTheParsedPath(@TempDir Path policies)
      throws Exception {
    Files.writeString(policies.resolve("p.yaml"), """
        screening:
          thinking: {release: optimistic, action: hide_reasoning}
          answer: {release: optimistic, action: block}
          checkpoint_tokens: 4
          window_tokens: 64
        audit:
          sample_rate: 1.0
        """);
    ModelEmulatorOptions model = ModelEmulatorOptions.builder().tokensPerChunk(1)
        .tokensPerSecond(40).scriptOverride(body -> {
          String prompt = body.getJsonArray("messages").getJsonObject(0).getString("content");
          return prompt.contains("thinking") ? Script.of(UNSAFE_THINKING, SAFE_ANSWER)
              : prompt.contains("answer") ? Script.of(SAFE_THINKING, UNSAFE_ANSWER)
              : Script.of(SAFE_THINKING, SAFE_ANSWER);
        }).build();
    RecordingAuditSink audit = new RecordingAuditSink(10);
    try (GatewayHarness h = new GatewayHarness().model(model).guard(GuardEmulatorOptions.defaults())
        .policies(policies).policy("p").audit(audit).start()) {
      // Warm both paths first: a cold JVM (class loading, interpreted code) answers a verdict
      // later, and an optimistic cut then lands a token or two later.
      for (boolean on : new boolean[] {true, false}) {
        h.gateway.rawRelay(on);
        h.client.stream("/v1/chat/completions", TestClient.chat(MODEL, "bread, unsafe answer"));
        audit.next();
      }
      for (String prompt : List.of("How do I bake bread?", "bread, unsafe thinking",
          "bread, unsafe answer")) {
        h.gateway.rawRelay(true);
        TestClient.Stream raw = h.client.stream("/v1/chat/completions",
            TestClient.chat(MODEL, prompt));
        AuditRecord rawRecord = audit.next();
        h.gateway.rawRelay(false);
        TestClient.Stream parsed = h.client.stream("/v1/chat/completions",
            TestClient.chat(MODEL, prompt));
        AuditRecord parsedRecord = audit.next();

        assertThat(raw.status()).isEqualTo(200);
        assertThat(raw.done()).isEqualTo(parsed.done()).isTrue();
        assertThat(rawRecord.action()).isEqualTo(parsedRecord.action());
        switch (prompt) {
          case "bread, unsafe thinking" -> {
            assertThat(rawRecord.action()).isEqualTo("hide_reasoning");
            for (TestClient.Stream s : List.of(raw, parsed)) {
              // optimistic: what streamed before the verdict stays out, nothing after it
              assertThat(UNSAFE_THINKING).startsWith(s.thinking().strip());
              assertThat(s.thinking()).doesNotContain("oven");
              assertThat(s.answer()).isEqualTo("\n\n" + SAFE_ANSWER);
            }
            assertThat(comparable(rawRecord, true)).isEqualTo(comparable(parsedRecord, true));
          }
          case "bread, unsafe answer" -> {
            assertThat(rawRecord.action()).isEqualTo("block");
            for (TestClient.Stream s : List.of(raw, parsed)) {
              assertThat(s.finishReason()).isEqualTo("content_filter");
              assertThat(s.body()).doesNotContain("TAIL-MARKER");
              assertThat(s.thinking()).isEqualTo(SAFE_THINKING + "\n");
            }
            assertThat(comparable(rawRecord, true)).isEqualTo(comparable(parsedRecord, true));
          }
          default -> {
            // nothing depends on when a verdict comes back: the same events, the same record
            assertThat(comparable(raw.chunks())).isEqualTo(comparable(parsed.chunks()));
            assertThat(comparable(rawRecord, false)).isEqualTo(comparable(parsedRecord, false));
            assertThat(rawRecord.action()).isEqualTo("pass");
            assertThat(raw.thinking()).isEqualTo(SAFE_THINKING + "\n");
            assertThat(raw.answer()).isEqualTo("\n\n" + SAFE_ANSWER);
            assertThat(rawRecord.thinking()).isEqualTo(raw.thinking());
            assertThat(rawRecord.answer()).isEqualTo(raw.answer());
            assertThat(rawRecord.finishReason()).isEqualTo("stop");
          }
        }
      }
      String metrics = h.client.get("/metrics").body();
      assertThat(metrics).contains("thinkgate_relay_streams_total{path=\"raw\"} 4.0")
          .contains("thinkgate_relay_streams_total{path=\"parsed\"} 4.0");
    }
  }

  /** The events without what differs per request (id, created). */
  private static List<JsonObject> comparable(List<JsonObject> chunks) {
    List<JsonObject> out = new ArrayList<>();
    for (JsonObject c : chunks) {
      JsonObject copy = c.copy();
      copy.remove("id");
      copy.remove("created");
      out.add(copy);
    }
    return out;
  }

  /**
   * The record without what differs per request (id, time, timing) and, for a stream cut by a
   * verdict ({@code cut}), without what depends on the token the verdict came back at (the text
   * generated until the cut, the offsets, the usage).
   */
  private static JsonObject comparable(AuditRecord record, boolean cut) {
    JsonObject json = record.toJson();
    for (String field : List.of("id", "ts", "group", "timing")) {
      json.remove(field);
    }
    if (cut) {
      for (String field : List.of("thinking", "answer", "usage")) {
        json.remove(field);
      }
    }
    JsonObject verdicts = json.getJsonObject("verdicts");
    if (verdicts != null) {
      for (String span : verdicts.fieldNames()) {
        if (verdicts.getValue(span) instanceof JsonObject v) {
          v.remove("guard_ms");
          if (cut) {
            v.remove("offset");
            v.remove("checkpoint");
            v.remove("calls");
          }
        }
      }
    }
    return json;
  }
}
