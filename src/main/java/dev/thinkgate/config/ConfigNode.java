package dev.thinkgate.config;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.JsonNodeFactory;
import com.fasterxml.jackson.databind.node.ObjectNode;
import java.util.ArrayList;
import java.util.Iterator;
import java.util.LinkedHashMap;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;

/**
 * A YAML mapping being read by hand, so that every problem becomes a {@link ConfigError} naming
 * the file, the key path, the bad value and what is allowed. Each accessor declares its key as
 * known; {@link #finish()} then reports every key that no accessor asked for.
 *
 * <p>Accessors never throw on bad input: they record the error and return the default, so one
 * pass collects all errors. String values go through {@code ${ENV}} substitution; a string with a
 * reference may also stand for a number or boolean (e.g. {@code port: ${PORT:-8080}}).
 */
public final class ConfigNode {
  private final ObjectNode node;
  private final String file;
  private final String path;
  private final List<ConfigError> errors;
  private final EnvSubstitution env;
  private final Set<String> known = new LinkedHashSet<>();

  private ConfigNode(
      ObjectNode node, String file, String path, List<ConfigError> errors, EnvSubstitution env) {
    this.node = node;
    this.file = file;
    this.path = path;
    this.errors = errors;
    this.env = env;
  }

  /** The top of a file; an empty document is an empty mapping. */
  public static ConfigNode root(
      JsonNode tree, String file, List<ConfigError> errors, EnvSubstitution env) {
    if (tree == null || tree.isMissingNode() || tree.isNull()) {
      return new ConfigNode(JsonNodeFactory.instance.objectNode(), file, "", errors, env);
    }
    if (!tree.isObject()) {
      errors.add(new ConfigError(file, "",
          "the document is " + describe(tree) + "; allowed: a mapping of keys to values"));
      return new ConfigNode(JsonNodeFactory.instance.objectNode(), file, "", errors, env);
    }
    return new ConfigNode((ObjectNode) tree, file, "", errors, env);
  }

  public String file() {
    return file;
  }

  public String path() {
    return path;
  }

  /** The full path of {@code key} below this node. */
  public String pathOf(String key) {
    return path.isEmpty() ? key : path + "." + key;
  }

  /** True when {@code key} is present with a non-null value; declares it known. */
  public boolean has(String key) {
    known.add(key);
    JsonNode value = node.get(key);
    return value != null && !value.isNull();
  }

  /** Records an error at {@code key} below this node. */
  public void error(String key, String message) {
    errors.add(new ConfigError(file, pathOf(key), message));
  }

  /** Records an error at an absolute key path of this node's file. */
  public void errorAt(String absolutePath, String message) {
    errors.add(new ConfigError(file, absolutePath, message));
  }

  /** Records an error about this node as a whole. */
  public void error(String message) {
    errors.add(new ConfigError(file, path, message));
  }

  public String string(String key, String defaultValue) {
    JsonNode value = get(key);
    if (value == null) {
      return defaultValue;
    }
    if (!value.isTextual()) {
      error(key, describe(value) + " is not a string; allowed: a string (quote it)");
      return defaultValue;
    }
    String text = substitute(key, value.textValue());
    return text == null ? defaultValue : text;
  }

  /**
   * A string read literally, without {@code ${VAR}} substitution: for keys that name an
   * environment variable, so that a mistaken {@code ${SECRET}} never pulls a secret into config
   * or into an error message.
   */
  public String literalString(String key, String defaultValue) {
    JsonNode value = get(key);
    if (value == null) {
      return defaultValue;
    }
    if (!value.isTextual()) {
      error(key, describe(value) + " is not a string; allowed: a string (quote it)");
      return defaultValue;
    }
    return value.textValue();
  }

  /** A string that must be present and non-blank; {@code allowed} says what it may be. */
  public String requiredString(String key, String allowed) {
    if (!has(key)) {
      error(key, "is missing; required: " + allowed);
      return null;
    }
    String s = string(key, null);
    if (s == null) {
      return null;
    }
    if (s.isBlank()) {
      error(key, "'' is empty; required: " + allowed);
      return null;
    }
    return s;
  }

  public int integer(String key, int defaultValue, int min, int max) {
    return (int) longInteger(key, defaultValue, min, max);
  }

  public long longInteger(String key, long defaultValue, long min, long max) {
    JsonNode value = get(key);
    if (value == null) {
      return defaultValue;
    }
    String allowed = integerRange(min, max);
    long parsed;
    if (value.isIntegralNumber() && value.canConvertToLong()) {
      parsed = value.longValue();
    } else if (isSubstituted(value)) {
      String text = substitute(key, value.textValue());
      if (text == null) {
        return defaultValue;
      }
      text = text.trim();
      try {
        parsed = Long.parseLong(text);
      } catch (NumberFormatException e) {
        error(key, quote(text) + " is not an integer; allowed: " + allowed);
        return defaultValue;
      }
    } else {
      error(key, describe(value) + " is not an integer; allowed: " + allowed);
      return defaultValue;
    }
    if (parsed < min || parsed > max) {
      error(key, parsed + " is out of range; allowed: " + allowed);
      return defaultValue;
    }
    return parsed;
  }

  public double number(String key, double defaultValue, double min, double max) {
    JsonNode value = get(key);
    if (value == null) {
      return defaultValue;
    }
    String allowed = "a number from " + plain(min) + " to " + plain(max);
    double parsed;
    if (value.isNumber()) {
      parsed = value.doubleValue();
    } else if (isSubstituted(value)) {
      String text = substitute(key, value.textValue());
      if (text == null) {
        return defaultValue;
      }
      text = text.trim();
      try {
        parsed = Double.parseDouble(text);
      } catch (NumberFormatException e) {
        error(key, quote(text) + " is not a number; allowed: " + allowed);
        return defaultValue;
      }
    } else {
      error(key, describe(value) + " is not a number; allowed: " + allowed);
      return defaultValue;
    }
    if (!(parsed >= min && parsed <= max)) {
      error(key, plain(parsed) + " is out of range; allowed: " + allowed);
      return defaultValue;
    }
    return parsed;
  }

  public boolean bool(String key, boolean defaultValue) {
    JsonNode value = get(key);
    if (value == null) {
      return defaultValue;
    }
    if (value.isBoolean()) {
      return value.booleanValue();
    }
    if (isSubstituted(value)) {
      String text = substitute(key, value.textValue());
      if (text == null) {
        return defaultValue;
      }
      text = text.trim();
      if (text.equals("true") || text.equals("false")) {
        return Boolean.parseBoolean(text);
      }
      error(key, quote(text) + " is not a boolean; allowed: true, false");
      return defaultValue;
    }
    error(key, describe(value) + " is not a boolean; allowed: true, false");
    return defaultValue;
  }

  public <E extends Enum<E>> E enumValue(String key, Class<E> type, E defaultValue) {
    JsonNode value = get(key);
    if (value == null) {
      return defaultValue;
    }
    return parseEnum(key, value, type, defaultValue);
  }

  public List<String> stringList(String key, List<String> defaultValue) {
    JsonNode value = get(key);
    if (value == null) {
      return defaultValue;
    }
    if (!value.isArray()) {
      error(key, describe(value) + " is not a list; allowed: a list of strings such as [a, b]");
      return defaultValue;
    }
    List<String> out = new ArrayList<>();
    for (int i = 0; i < value.size(); i++) {
      JsonNode item = value.get(i);
      String itemKey = key + "[" + i + "]";
      if (!item.isTextual()) {
        error(itemKey, describe(item) + " is not a string; allowed: a string (quote it)");
      } else {
        String text = substitute(itemKey, item.textValue());
        if (text == null) {
          continue;
        }
        if (text.isBlank()) {
          error(itemKey, "'' is empty; allowed: a non-empty string");
        } else {
          out.add(text);
        }
      }
    }
    return out;
  }

  public <E extends Enum<E>> List<E> enumList(String key, Class<E> type, List<E> defaultValue) {
    JsonNode value = get(key);
    if (value == null) {
      return defaultValue;
    }
    if (!value.isArray()) {
      error(key, describe(value) + " is not a list; allowed: a list of "
          + String.join(", ", WireNames.all(type)));
      return defaultValue;
    }
    List<E> out = new ArrayList<>();
    for (int i = 0; i < value.size(); i++) {
      E parsed = parseEnum(key + "[" + i + "]", value.get(i), type, null);
      if (parsed != null && !out.contains(parsed)) {
        out.add(parsed);
      }
    }
    return out;
  }

  /** The mapping under {@code key}, or null when absent (or not a mapping, which is an error). */
  public ConfigNode object(String key) {
    JsonNode value = get(key);
    if (value == null) {
      return null;
    }
    if (!value.isObject()) {
      error(key, describe(value) + " is not a mapping; allowed: a mapping of keys to values");
      return null;
    }
    return new ConfigNode((ObjectNode) value, file, pathOf(key), errors, env);
  }

  /** The list of mappings under {@code key}; empty when absent. */
  public List<ConfigNode> objectList(String key) {
    JsonNode value = get(key);
    if (value == null) {
      return List.of();
    }
    if (!value.isArray()) {
      error(key, describe(value) + " is not a list; allowed: a list of mappings");
      return List.of();
    }
    List<ConfigNode> out = new ArrayList<>();
    for (int i = 0; i < value.size(); i++) {
      JsonNode item = value.get(i);
      String itemPath = pathOf(key) + "[" + i + "]";
      if (!item.isObject()) {
        errors.add(new ConfigError(file, itemPath,
            describe(item) + " is not a mapping; allowed: a mapping of keys to values"));
      } else {
        out.add(new ConfigNode((ObjectNode) item, file, itemPath, errors, env));
      }
    }
    return out;
  }

  /** The mapping of names to mappings under {@code key}, in file order; empty when absent. */
  public Map<String, ConfigNode> objectMap(String key) {
    ConfigNode parent = object(key);
    if (parent == null) {
      return Map.of();
    }
    Map<String, ConfigNode> out = new LinkedHashMap<>();
    for (Iterator<Map.Entry<String, JsonNode>> it = parent.node.fields(); it.hasNext(); ) {
      Map.Entry<String, JsonNode> entry = it.next();
      parent.known.add(entry.getKey());
      ConfigNode child = parent.object(entry.getKey());
      if (child != null) {
        out.put(entry.getKey(), child);
      } else if (entry.getValue().isNull()) {
        out.put(entry.getKey(), new ConfigNode(
            JsonNodeFactory.instance.objectNode(), file, parent.pathOf(entry.getKey()), errors,
            env));
      }
    }
    return out;
  }

  /**
   * The mapping of names to scalars (string, number or boolean) under {@code key}, each as its
   * text after {@code ${VAR}} substitution, in file order; empty when absent. For pass-through
   * settings of a client library, whose names the caller checks.
   */
  public Map<String, String> scalarMap(String key) {
    ConfigNode parent = object(key);
    if (parent == null) {
      return Map.of();
    }
    Map<String, String> out = new LinkedHashMap<>();
    for (Iterator<Map.Entry<String, JsonNode>> it = parent.node.fields(); it.hasNext(); ) {
      Map.Entry<String, JsonNode> entry = it.next();
      JsonNode value = entry.getValue();
      if (!value.isValueNode() || value.isNull()) {
        parent.error(entry.getKey(), describe(value)
            + " is not a scalar; allowed: a string, number or boolean");
        continue;
      }
      String text = value.isTextual()
          ? parent.substitute(entry.getKey(), value.textValue()) : value.asText();
      if (text != null) {
        out.put(entry.getKey(), text);
      }
    }
    return out;
  }

  /** Reports every key of this mapping that no accessor declared. Call after reading it. */
  public void finish() {
    for (Iterator<String> it = node.fieldNames(); it.hasNext(); ) {
      String key = it.next();
      if (!known.contains(key)) {
        String suggestion = closest(key);
        error(key, "unknown key"
            + (suggestion == null ? "" : " (did you mean '" + suggestion + "'?)")
            + "; allowed keys: " + String.join(", ", known));
      }
    }
  }

  private JsonNode get(String key) {
    known.add(key);
    JsonNode value = node.get(key);
    return value == null || value.isNull() ? null : value;
  }

  private <E extends Enum<E>> E parseEnum(String key, JsonNode value, Class<E> type, E fallback) {
    String allowed = String.join(", ", WireNames.all(type));
    if (!value.isTextual()) {
      error(key, describe(value) + " is not one of " + allowed);
      return fallback;
    }
    String text = substitute(key, value.textValue());
    if (text == null) {
      return fallback;
    }
    E parsed = WireNames.parse(type, text);
    if (parsed == null) {
      error(key, quote(text) + " is not one of " + allowed);
      return fallback;
    }
    return parsed;
  }

  /** The value with {@code ${VAR}} replaced; null (after reporting it) when a variable is unset. */
  private String substitute(String key, String raw) {
    boolean[] missingAny = {false};
    String value = env.apply(raw, missing -> {
      missingAny[0] = true;
      error(key, "environment variable " + missing
          + " is not set and has no default; set it or write ${" + missing + ":-default}");
    });
    return missingAny[0] ? null : value;
  }

  private static boolean isSubstituted(JsonNode value) {
    return value.isTextual() && EnvSubstitution.hasReference(value.textValue());
  }

  private String closest(String unknown) {
    String best = null;
    int bestDistance = 3;
    for (String candidate : known) {
      if (unknown.startsWith(candidate) || candidate.startsWith(unknown)) {
        return candidate;
      }
      int d = editDistance(unknown, candidate);
      if (d < bestDistance) {
        bestDistance = d;
        best = candidate;
      }
    }
    return best;
  }

  private static int editDistance(String a, String b) {
    int[] previous = new int[b.length() + 1];
    int[] current = new int[b.length() + 1];
    for (int j = 0; j <= b.length(); j++) {
      previous[j] = j;
    }
    for (int i = 1; i <= a.length(); i++) {
      current[0] = i;
      for (int j = 1; j <= b.length(); j++) {
        int cost = a.charAt(i - 1) == b.charAt(j - 1) ? 0 : 1;
        current[j] = Math.min(Math.min(current[j - 1] + 1, previous[j] + 1), previous[j - 1] + cost);
      }
      int[] swap = previous;
      previous = current;
      current = swap;
    }
    return previous[b.length()];
  }

  private static String integerRange(long min, long max) {
    if (max >= Integer.MAX_VALUE) {
      return "an integer ≥ " + min;
    }
    return "an integer from " + min + " to " + max;
  }

  private static String plain(double d) {
    return d == Math.rint(d) && Math.abs(d) < 1e15 ? Long.toString((long) d) : Double.toString(d);
  }

  /** How a value is shown in a message: strings quoted, other scalars as written, else the kind. */
  static String describe(JsonNode value) {
    if (value.isTextual()) {
      return quote(value.textValue());
    }
    if (value.isValueNode()) {
      return value.asText();
    }
    return value.isArray() ? "a list" : "a mapping";
  }

  static String quote(String s) {
    String shown = s.length() > 80 ? s.substring(0, 77) + "..." : s;
    return "'" + shown + "'";
  }
}
