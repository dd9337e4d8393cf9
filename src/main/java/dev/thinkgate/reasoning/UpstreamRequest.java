package dev.thinkgate.reasoning;

import io.vertx.core.buffer.Buffer;
import io.vertx.core.json.JsonObject;
import java.util.Objects;

/**
 * One generation call to the upstream model server.
 *
 * @param path {@code /v1/chat/completions} or {@code /v1/completions}
 * @param body the exact JSON body sent (the streamer forces {@code stream: true} and
 *     {@code stream_options.include_usage: true})
 * @param output how the generated text is split into thinking and answer
 * @param clientBytes the client's own bytes of which {@code body} is the parse, when nothing
 *     was rewritten; the streamer may then forward them instead of re-encoding {@code body}.
 *     Null otherwise.
 */
public record UpstreamRequest(String path, JsonObject body, OutputSpan output, Buffer clientBytes) {
  public static final String CHAT = "/v1/chat/completions";
  public static final String COMPLETIONS = "/v1/completions";

  public UpstreamRequest {
    Objects.requireNonNull(path, "path");
    Objects.requireNonNull(body, "body");
    Objects.requireNonNull(output, "output");
  }

  /** A request whose body the streamer encodes. */
  public UpstreamRequest(String path, JsonObject body, OutputSpan output) {
    this(path, body, output, null);
  }
}
