package dev.thinkgate.proxy;

import static org.assertj.core.api.Assertions.assertThat;

import dev.thinkgate.audit.AuditSinks;
import dev.thinkgate.config.ConfigLoader;
import dev.thinkgate.config.GatewayConfig;
import dev.thinkgate.config.GatewayConfig.RouteConfig;
import dev.thinkgate.config.GatewayConfig.ServerConfig;
import dev.thinkgate.config.GatewayConfig.Timeouts;
import dev.thinkgate.config.GatewayConfig.UpstreamDialect;
import dev.thinkgate.metrics.GatewayMetrics;
import io.vertx.core.Vertx;
import io.vertx.core.buffer.Buffer;
import io.vertx.core.http.HttpServer;
import io.vertx.core.json.JsonObject;
import java.io.ByteArrayOutputStream;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.Map;
import java.util.Random;
import java.util.concurrent.ConcurrentLinkedQueue;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;

/**
 * The raw relay (a passthrough stream nothing rewrites) over real sockets: events without a
 * rewrite marker reach the client byte for byte however the upstream's writes split them, and
 * events with one still take the parsed path. The upstream is a raw server writing prepared
 * bytes, so the test controls the exact JSON spelling (spaces, escapes) a re-encoding would lose.
 */
class RawRelayIT {
  /** Spelled as no JSON encoder would: spaces, a \\u escape, raw multi-byte UTF-8, "usage":null. */
  private static final String FIRST = "{\"id\": \"c1\", \"object\":\"chat.completion.chunk\","
      + "\"choices\":[{\"index\":0,\"delta\":{\"role\":\"assistant\",\"content\":\"\"},"
      + "\"logprobs\":null,\"finish_reason\":null}],\"usage\":null}";
  private static final String SECOND = "{\"id\": \"c1\", \"choices\":[{\"index\":0,"
      + "\"delta\":{\"content\":\"caf\\u00e9 思考 🙂 ✓\"},\"finish_reason\":null}]}";
  private static final String LAST = "{\"id\": \"c1\", \"choices\":[{\"index\":0,"
      + "\"delta\":{},\"finish_reason\":\"stop\"}]}";

  private final Vertx vertx = Vertx.vertx();
  private final HttpClient http = HttpClient.newBuilder()
      .version(HttpClient.Version.HTTP_1_1).connectTimeout(Duration.ofSeconds(5)).build();
  /** What the upstream answers to each call: the wire bytes and where to cut them. */
  private final ConcurrentLinkedQueue<byte[]> wires = new ConcurrentLinkedQueue<>();
  /** The generation request bodies the upstream received, as bytes. */
  private final ConcurrentLinkedQueue<Buffer> received = new ConcurrentLinkedQueue<>();
  private final Random random = new Random(20261123L);
  private GatewayServer gateway;
  private String base;

  @BeforeEach
  void start() throws Exception {
    HttpServer upstream = vertx.createHttpServer().requestHandler(req -> req.body().onSuccess(b -> {
      if (!req.path().endsWith("/chat/completions")) {
        req.response().end("{}"); // health probes
        return;
      }
      received.add(b);
      byte[] wire = wires.remove();
      var resp = req.response().setChunked(true).putHeader("Content-Type", "text/event-stream");
      int from = 0;
      for (int cut : cuts(wire.length)) {
        resp.write(Buffer.buffer(Arrays.copyOfRange(wire, from, cut)));
        from = cut;
      }
      resp.end(Buffer.buffer(Arrays.copyOfRange(wire, from, wire.length)));
    }));
    int upstreamPort = upstream.listen(0, "127.0.0.1").await().actualPort();
    RouteConfig route = new RouteConfig("*", "http://127.0.0.1:" + upstreamPort + "/v1",
        UpstreamDialect.VLLM, null, null, null, false, false, Timeouts.DEFAULT, "/health");
    GatewayConfig config = new ConfigLoader(k -> null).withPolicies(new GatewayConfig(
        new ServerConfig("127.0.0.1", 0, 0, null, 1 << 20, 30_000, false), List.of(route),
        Map.of(), List.of(), null, Map.of()), Path.of("policies")).config();
    gateway = new GatewayServer(vertx, config, new GatewayMetrics(), k -> null,
        "passthrough", AuditSinks.discarding(), System::currentTimeMillis);
    base = "http://127.0.0.1:" + gateway.start("127.0.0.1", 0).await();
  }

  @AfterEach
  void stop() {
    gateway.close().await();
    vertx.close().await();
  }

  private synchronized List<Integer> cuts(int length) {
    List<Integer> cuts = new ArrayList<>();
    for (int at = 1 + random.nextInt(40); at < length; at += 1 + random.nextInt(40)) {
      cuts.add(at);
    }
    return cuts;
  }

  @Test
  void eventsWithoutMarkersReachTheClientByteForByteHoweverTheUpstreamSplitsThem()
      throws Exception {
    for (int round = 0; round < 10; round++) {
      // Given an upstream writing CRLF-framed events cut at random bytes
      wires.add(wire("\r\n", FIRST, SECOND, LAST, "[DONE]"));

      // When a passthrough client streams through the gateway
      byte[] body = streamBody(new JsonObject());

      // Then it gets the very bytes of each event's data, LF-framed
      assertThat(new String(body, StandardCharsets.UTF_8)).as("round %d", round)
          .isEqualTo(frames(FIRST, SECOND, LAST, "[DONE]"));
    }
  }

  @Test
  void aReasoningFieldSendsThatEventAndEveryLaterOneThroughTheParsedPath() throws Exception {
    // Given a plain event, then one in vLLM's newer "reasoning" dialect, then a plain one again
    String reasoning = "{\"id\": \"c1\", \"choices\":[{\"index\":0,"
        + "\"delta\":{\"reasoning\":\"Hmm.\"},\"finish_reason\":null}]}";
    wires.add(wire("\n", FIRST, reasoning, SECOND, LAST, "[DONE]"));

    // When
    String body = new String(streamBody(new JsonObject()), StandardCharsets.UTF_8);

    // Then the first goes through untouched; the marked one is rewritten to reasoning_content;
    // the later plain ones are parsed too (re-encoded: the spelling differs, the content is kept)
    List<String> data = dataLines(body);
    assertThat(data).hasSize(5);
    assertThat(data.get(0)).isEqualTo(FIRST);
    JsonObject rewritten = new JsonObject(data.get(1));
    JsonObject delta = rewritten.getJsonArray("choices").getJsonObject(0).getJsonObject("delta");
    assertThat(delta.getString("reasoning_content")).isEqualTo("Hmm.");
    assertThat(delta.containsKey("reasoning")).isFalse();
    assertThat(data.get(2)).isNotEqualTo(SECOND);
    assertThat(new JsonObject(data.get(2)).getJsonArray("choices").getJsonObject(0)
        .getJsonObject("delta").getString("content")).isEqualTo("café 思考 🙂 ✓");
    assertThat(data.get(4)).isEqualTo("[DONE]");
  }

  @Test
  void aUsageChunkIsParsedAndDroppedUnlessTheClientAskedForUsage() throws Exception {
    // Given a stream ending with vLLM's usage chunk (the gateway always asks the upstream for it)
    String usage = "{\"id\": \"c1\", \"choices\":[], \"usage\":{\"prompt_tokens\":3,"
        + "\"completion_tokens\":5,\"total_tokens\":8}}";
    wires.add(wire("\n", FIRST, LAST, usage, "[DONE]"));
    wires.add(wire("\n", FIRST, LAST, usage, "[DONE]"));

    // When one client does not ask for usage and one does
    String without = new String(streamBody(new JsonObject()), StandardCharsets.UTF_8);
    String with = new String(streamBody(new JsonObject()
        .put("stream_options", new JsonObject().put("include_usage", true))),
        StandardCharsets.UTF_8);

    // Then the first never sees it; the second gets it parsed (re-encoded), the rest untouched
    assertThat(without).isEqualTo(frames(FIRST, LAST, "[DONE]"));
    List<String> data = dataLines(with);
    assertThat(data).hasSize(4);
    assertThat(data.subList(0, 2)).containsExactly(FIRST, LAST);
    assertThat(data.get(2)).isNotEqualTo(usage);
    assertThat(new JsonObject(data.get(2)).getJsonObject("usage").getInteger("total_tokens"))
        .isEqualTo(8);
  }

  @Test
  void multiLineDataIsStillSentAsOneDataLinePerLine() throws Exception {
    // Given an event whose JSON the upstream spread over two data: lines
    String top = "{\"id\": \"c1\",";
    String rest = "\"choices\":[{\"index\":0,\"delta\":{\"content\":\"hi\"},"
        + "\"finish_reason\":null}]}";
    ByteArrayOutputStream wire = new ByteArrayOutputStream();
    wire.writeBytes(("data: " + top + "\r\ndata: " + rest + "\r\n\r\n")
        .getBytes(StandardCharsets.UTF_8));
    wire.writeBytes(wire("\r\n", LAST, "[DONE]"));
    wires.add(wire.toByteArray());

    // When
    String body = new String(streamBody(new JsonObject()), StandardCharsets.UTF_8);

    // Then the client gets the same two lines, LF-framed, which it joins back with a line feed
    assertThat(body)
        .isEqualTo("data: " + top + "\ndata: " + rest + "\n\n" + frames(LAST, "[DONE]"));
  }

  @Test
  void invalidUtf8IsStillReplacedRatherThanPassedOn() throws Exception {
    // Given an event whose content holds a byte that is not UTF-8
    byte[] wire = wire("\n", "{\"id\": \"c1\", \"choices\":[{\"index\":0,\"delta\":{\"content\":"
        + "\"aXb\"},\"finish_reason\":null}]}", "[DONE]");
    int x = indexOf(wire, (byte) 'X');
    wire[x] = (byte) 0xFF;
    wires.add(wire);

    // When
    byte[] body = streamBody(new JsonObject());

    // Then it arrives as U+FFFD, as before the relay worked on bytes, and nothing else changes
    byte[] expected = frames("{\"id\": \"c1\", \"choices\":[{\"index\":0,\"delta\":{\"content\":"
        + "\"a\uFFFDb\"},\"finish_reason\":null}]}", "[DONE]").getBytes(StandardCharsets.UTF_8);
    assertThat(body).isEqualTo(expected);
  }

  @Test
  void anErrorEventFailsTheStreamWithoutDone() throws Exception {
    // Given vLLM's mid-stream error after one ordinary event
    wires.add(wire("\n", FIRST,
        "{\"error\": {\"message\": \"engine died\", \"code\": 500}}", SECOND, "[DONE]"));

    // When
    String body = new String(streamBody(new JsonObject()), StandardCharsets.UTF_8);

    // Then the client sees the ordinary event, then an error event, and no [DONE]
    List<String> data = dataLines(body);
    assertThat(data.get(0)).isEqualTo(FIRST);
    assertThat(data).hasSize(2);
    assertThat(new JsonObject(data.get(1)).getJsonObject("error").getString("message"))
        .contains("engine died");
  }

  @Test
  void theClientsBodyGoesUpstreamAsSentWithOnlyTheUsageOptionSplicedIn() throws Exception {
    // Given a streaming request spelled as no JSON encoder would: spaces, a lowercase escape, a
    // number beyond double's range (a re-encode wrote the string "Infinity"), and a duplicate
    // key whose last value counts, as in vLLM's Python json
    String sent = " {\"model\" : \"m\", \"messages\":[{\"role\":\"user\",\"content\":\"q \\ud800\"}],"
        + "\"stream\":false, \"x_extra\": 1e400, \"stream\" : true}\n";
    wires.add(wire("\n", FIRST, LAST, "[DONE]"));

    // When
    streamRaw(sent);

    // Then the upstream gets those bytes with one member spliced after the opening brace
    assertThat(received.remove().toString(StandardCharsets.UTF_8)).isEqualTo(
        " {\"stream_options\":{\"include_usage\":true},\"model\" : \"m\", \"messages\":[{\"role\":"
            + "\"user\",\"content\":\"q \\ud800\"}],\"stream\":false, \"x_extra\": 1e400,"
            + " \"stream\" : true}\n");
  }

  @Test
  void aClientsOwnStreamOptionsAreReEncodedWithUsageOn() throws Exception {
    // Given a request that asks for no usage (the gateway needs it, and drops it when not asked)
    wires.add(wire("\n", FIRST, LAST, "[DONE]"));

    // When
    streamBody(new JsonObject().put("stream_options", new JsonObject().put("include_usage", false)));

    // Then the body is the parse, re-encoded, with usage on
    JsonObject upstream = new JsonObject(received.remove());
    assertThat(upstream.getJsonObject("stream_options").getBoolean("include_usage")).isTrue();
    assertThat(upstream.getBoolean("stream")).isTrue();
    assertThat(upstream.getString("model")).isEqualTo("m");
  }

  private byte[] streamRaw(String body) throws Exception {
    HttpRequest post = HttpRequest.newBuilder(URI.create(base + "/v1/chat/completions"))
        .timeout(Duration.ofSeconds(30))
        .header("Content-Type", "application/json")
        .POST(HttpRequest.BodyPublishers.ofString(body))
        .build();
    HttpResponse<byte[]> response = http.send(post, HttpResponse.BodyHandlers.ofByteArray());
    assertThat(response.statusCode()).isEqualTo(200);
    return response.body();
  }

  private byte[] streamBody(JsonObject extra) throws Exception {
    JsonObject request = TestClient.chat("m", "q").put("stream", true).mergeIn(extra);
    HttpRequest post = HttpRequest.newBuilder(URI.create(base + "/v1/chat/completions"))
        .timeout(Duration.ofSeconds(30))
        .header("Content-Type", "application/json")
        .POST(HttpRequest.BodyPublishers.ofString(request.encode()))
        .build();
    HttpResponse<byte[]> response = http.send(post, HttpResponse.BodyHandlers.ofByteArray());
    assertThat(response.statusCode()).isEqualTo(200);
    return response.body();
  }

  private static byte[] wire(String lineEnd, String... data) {
    ByteArrayOutputStream out = new ByteArrayOutputStream();
    for (String d : data) {
      out.writeBytes(("data: " + d + lineEnd + lineEnd).getBytes(StandardCharsets.UTF_8));
    }
    return out.toByteArray();
  }

  private static String frames(String... data) {
    StringBuilder sb = new StringBuilder();
    for (String d : data) {
      sb.append("data: ").append(d).append("\n\n");
    }
    return sb.toString();
  }

  private static List<String> dataLines(String body) {
    return body.lines().filter(l -> l.startsWith("data: ")).map(l -> l.substring(6)).toList();
  }

  private static int indexOf(byte[] bytes, byte target) {
    for (int i = 0; i < bytes.length; i++) {
      if (bytes[i] == target) {
        return i;
      }
    }
    throw new AssertionError("no " + (char) target);
  }
}
