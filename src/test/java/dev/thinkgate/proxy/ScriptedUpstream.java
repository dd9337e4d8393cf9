package dev.thinkgate.proxy;

import io.vertx.core.Vertx;
import io.vertx.core.buffer.Buffer;
import io.vertx.core.net.NetServer;
import io.vertx.core.net.NetSocket;
import java.nio.charset.StandardCharsets;
import java.util.List;
import java.util.Locale;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.atomic.AtomicInteger;

/**
 * A raw HTTP/1.1 upstream on a real socket whose reply to every request is scripted, for the
 * cases a well-behaved server never shows: closing a keep-alive connection as a request arrives,
 * malformed framing, replies split at any byte.
 */
final class ScriptedUpstream implements AutoCloseable {
  /** The reply to the {@code n}-th POST (from 1) on its connection; {@code request} is all of it. */
  interface Script {
    void reply(NetSocket socket, int n, String request);
  }

  /** Connections that carried a POST (the gateway's health checks GET on their own). */
  final AtomicInteger connections = new AtomicInteger();
  final AtomicInteger closedConnections = new AtomicInteger();
  /** POST requests. */
  final AtomicInteger requests = new AtomicInteger();
  final List<String> heads = new CopyOnWriteArrayList<>();
  private final NetServer server;
  final int port;

  ScriptedUpstream(Vertx vertx, Script script) {
    server = vertx.createNetServer().connectHandler(socket -> {
      boolean[] posted = {false};
      socket.closeHandler(v -> {
        if (posted[0]) {
          closedConnections.incrementAndGet();
        }
      });
      Buffer[] pending = {Buffer.buffer()};
      int[] onConnection = {0};
      socket.handler(buf -> {
        pending[0].appendBuffer(buf);
        while (true) {
          String text = pending[0].toString(StandardCharsets.ISO_8859_1);
          int headEnd = text.indexOf("\r\n\r\n");
          if (headEnd < 0) {
            return;
          }
          String head = text.substring(0, headEnd);
          int length = contentLength(head);
          int total = headEnd + 4 + length;
          if (pending[0].length() < total) {
            return;
          }
          String request = pending[0].getString(0, total, "UTF-8");
          pending[0] = pending[0].getBuffer(total, pending[0].length());
          if (!head.startsWith("POST ")) {
            socket.write("HTTP/1.1 200 OK\r\ncontent-length: 0\r\n\r\n");
            continue;
          }
          if (!posted[0]) {
            posted[0] = true;
            connections.incrementAndGet();
          }
          heads.add(head);
          requests.incrementAndGet();
          script.reply(socket, ++onConnection[0], request);
        }
      });
    });
    port = server.listen(0, "127.0.0.1").await().actualPort();
  }

  String url() {
    return "http://127.0.0.1:" + port;
  }

  private static int contentLength(String head) {
    for (String line : head.split("\r\n")) {
      if (line.toLowerCase(Locale.ROOT).startsWith("content-length:")) {
        return Integer.parseInt(line.substring(15).trim());
      }
    }
    return 0;
  }

  /** A 200 event stream in vLLM's format with {@code words} content chunks, chunked encoding. */
  static String sseResponse(String... words) {
    StringBuilder events = new StringBuilder();
    for (String word : words) {
      events.append("data: {\"id\":\"chatcmpl-1\",\"object\":\"chat.completion.chunk\",\"created\":1,"
          + "\"model\":\"m\",\"choices\":[{\"index\":0,\"delta\":{\"content\":\"")
          .append(word).append("\"},\"logprobs\":null,\"finish_reason\":null}]}\n\n");
    }
    events.append("data: {\"id\":\"chatcmpl-1\",\"object\":\"chat.completion.chunk\",\"created\":1,"
        + "\"model\":\"m\",\"choices\":[{\"index\":0,\"delta\":{},\"logprobs\":null,"
        + "\"finish_reason\":\"stop\",\"stop_reason\":null}]}\n\n");
    events.append("data: [DONE]\n\n");
    return "HTTP/1.1 200 OK\r\ncontent-type: text/event-stream\r\ntransfer-encoding: chunked\r\n\r\n"
        + chunk(events.toString()) + "0\r\n\r\n";
  }

  static String chunk(String data) {
    int bytes = data.getBytes(StandardCharsets.UTF_8).length;
    return Integer.toHexString(bytes) + "\r\n" + data + "\r\n";
  }

  @Override
  public void close() {
    server.close().await();
  }
}
