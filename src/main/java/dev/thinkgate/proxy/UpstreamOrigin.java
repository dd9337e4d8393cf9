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

  /** The value of the {@code Host} header (RFC 9110 §7.2): the port only when not the default. */
  String hostHeader() {
    String h = host.indexOf(':') >= 0 ? "[" + host + "]" : host;
    return port == (ssl ? 443 : 80) ? h : h + ":" + port;
  }
}
