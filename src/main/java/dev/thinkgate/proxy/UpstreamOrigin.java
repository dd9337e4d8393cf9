package dev.thinkgate.proxy;

import java.net.URI;
import java.util.Locale;

/**
 * Where a route's upstream listens, parsed once from its base URL.
 *
 * @param pathPrefix the base URL's path without a trailing slash ("" for none), put before every
 *     request path
 */
record UpstreamOrigin(boolean ssl, String host, int port, String pathPrefix) {
  /**
   * @throws IllegalArgumentException when the URL is not an absolute http or https URL with a host
   */
  static UpstreamOrigin parse(String baseUrl) {
    URI uri;
    try {
      uri = URI.create(baseUrl);
    } catch (IllegalArgumentException e) {
      throw new IllegalArgumentException("not a URL: '" + baseUrl + "'");
    }
    String scheme = uri.getScheme() == null ? "" : uri.getScheme().toLowerCase(Locale.ROOT);
    if (!scheme.equals("http") && !scheme.equals("https")) {
      throw new IllegalArgumentException("not an http or https URL: '" + baseUrl + "'");
    }
    if (uri.getHost() == null) {
      throw new IllegalArgumentException("no host in '" + baseUrl + "'");
    }
    boolean ssl = scheme.equals("https");
    int port = uri.getPort() >= 0 ? uri.getPort() : ssl ? 443 : 80;
    String path = uri.getRawPath() == null ? "" : uri.getRawPath();
    if (path.endsWith("/")) {
      path = path.substring(0, path.length() - 1);
    }
    String host = uri.getHost();
    if (host.startsWith("[") && host.endsWith("]")) {
      host = host.substring(1, host.length() - 1); // IPv6 literal; the socket wants it bare
    }
    return new UpstreamOrigin(ssl, host, port, path);
  }

  /**
   * The header block of a JSON POST to this origin: {@code Host}, {@code Content-Type},
   * {@code Accept} and, when not null, {@code Authorization} (checked by the caller).
   */
  byte[] jsonHeaders(String accept, String authorization) {
    return ("Host: " + hostHeader() + "\r\n"
        + "Content-Type: application/json\r\n"
        + "Accept: " + accept + "\r\n"
        + (authorization == null ? "" : "Authorization: " + authorization + "\r\n"))
        .getBytes(java.nio.charset.StandardCharsets.UTF_8);
  }

  /**
   * The whole HTTP/1.1 request for a JSON POST to the path prefix plus {@code path} ("/" when
   * both are empty), with {@code headers} from {@link #jsonHeaders}.
   */
  io.vertx.core.buffer.Buffer jsonPost(String path, byte[] headers,
      io.vertx.core.buffer.Buffer json) {
    String target = pathPrefix + path;
    String line = "POST " + (target.isEmpty() ? "/" : target) + " HTTP/1.1\r\n";
    String length = "Content-Length: " + json.length() + "\r\n\r\n";
    return io.vertx.core.buffer.Buffer.buffer(
            line.length() + headers.length + length.length() + json.length())
        .appendString(line, "ISO-8859-1")
        .appendBytes(headers)
        .appendString(length, "ISO-8859-1")
        .appendBuffer(json);
  }

  /** The value of the {@code Host} header (RFC 9110 §7.2): the port only when not the default. */
  String hostHeader() {
    String h = host.indexOf(':') >= 0 ? "[" + host + "]" : host;
    return port == (ssl ? 443 : 80) ? h : h + ":" + port;
  }
}
