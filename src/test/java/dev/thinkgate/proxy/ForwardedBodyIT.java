package dev.thinkgate.proxy;

import static dev.thinkgate.proxy.GatewayHarness.MODEL;
import static org.assertj.core.api.Assertions.assertThat;

import dev.thinkgate.emulator.GuardEmulatorOptions;
import io.vertx.core.Vertx;
import io.vertx.core.buffer.Buffer;
import io.vertx.core.json.JsonObject;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.concurrent.ConcurrentLinkedQueue;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * Which body the raw relay sends upstream: the client's bytes when nothing was judged on them,
 * the gateway's parse re-encoded when the input was screened (the guard judged that parse, so the
 * model must get it, whatever another JSON parser might read differently in the bytes).
 */
class ForwardedBodyIT {
  /** Spelled as no encoder would: spaces around the colons, a lowercase escape. */
  private static final String SENT = "{\"model\" : \"" + MODEL + "\", \"messages\":[{\"role\":"
      + "\"user\",\"content\":\"How do I bake bread? caf\\u00e9\"}], \"stream\" : true}";

  @Test
  void theClientsBytesGoUpstreamUnlessTheInputWasScreened(@TempDir Path policies)
      throws Exception {
    Files.writeString(policies.resolve("plain.yaml"), "audit:\n  sample_rate: 0.0\n");
    Files.writeString(policies.resolve("screened-input.yaml"), """
        screening:
          input: {action: log_only}
        """);
    Vertx vertx = Vertx.vertx();
    ConcurrentLinkedQueue<Buffer> received = new ConcurrentLinkedQueue<>();
    int port = vertx.createHttpServer().requestHandler(req -> req.body().onSuccess(b -> {
      if (!req.path().endsWith("/chat/completions")) {
        req.response().end("{}"); // health probes
        return;
      }
      received.add(b);
      req.response().setChunked(true).putHeader("Content-Type", "text/event-stream")
          .end("data: {\"id\":\"c1\",\"choices\":[{\"index\":0,\"delta\":{\"content\":\"Bake.\"},"
              + "\"finish_reason\":\"stop\"}]}\n\ndata: [DONE]\n\n");
    })).listen(0, "127.0.0.1").await().actualPort();
    try (GatewayHarness h = new GatewayHarness().guard(GuardEmulatorOptions.defaults())
        .upstream("http://127.0.0.1:" + port).policies(policies)
        .tenant("plain", "sk-plain", "plain").tenant("screened", "sk-screened", "screened-input")
        .start()) {
      // When the same bytes stream under a policy that judges nothing of the request
      TestClient.Response plain = h.client.post("/v1/chat/completions", SENT,
          "Authorization", "Bearer sk-plain");
      // Then they go upstream as sent, with the usage option spliced in
      assertThat(plain.status()).isEqualTo(200);
      assertThat(received.remove().toString(StandardCharsets.UTF_8))
          .isEqualTo("{\"stream_options\":{\"include_usage\":true}," + SENT.substring(1));

      // When they stream under a policy that screens the input
      TestClient.Response screened = h.client.post("/v1/chat/completions", SENT,
          "Authorization", "Bearer sk-screened");
      // Then the upstream gets the parse the guard judged, re-encoded
      assertThat(screened.status()).isEqualTo(200);
      String upstream = received.remove().toString(StandardCharsets.UTF_8);
      assertThat(upstream).doesNotContain("\"model\" : ").doesNotContain("\\u00e9");
      JsonObject parsed = new JsonObject(upstream);
      assertThat(parsed.getJsonArray("messages").getJsonObject(0).getString("content"))
          .isEqualTo("How do I bake bread? café");
      assertThat(parsed.getJsonObject("stream_options").getBoolean("include_usage")).isTrue();
      // and both took the raw relay
      assertThat(h.metrics.registry().find("thinkgate_relay_streams").tag("path", "raw")
          .counter().count()).isEqualTo(2);
    } finally {
      vertx.close().await();
    }
  }
}
