package dev.thinkgate.reasoning.jinja;

import java.util.ArrayList;
import java.util.List;
import jinjava.javax.el.CompositeELResolver;
import jinjava.javax.el.ELContext;
import jinjava.javax.el.ELResolver;

/**
 * Python's {@code str} methods that chat templates call ({@code split}, {@code strip},
 * {@code lstrip}, {@code rstrip}, {@code startswith}, {@code endswith}), with Python's
 * semantics rather than Java's: {@code "a</think>".split("</think>")} is {@code ["a", ""]}, and
 * {@code strip(chars)} strips a set of characters. Jinjava would otherwise call
 * {@link String#split(String)}, which takes a regex and drops trailing empty strings.
 */
final class PythonStringMethods extends ELResolver {
  private final ELResolver fallback;

  PythonStringMethods(ELResolver fallback) {
    this.fallback = fallback;
  }

  static ELResolver over(ELResolver fallback) {
    CompositeELResolver composite = new CompositeELResolver();
    composite.add(new PythonStringMethods(fallback));
    composite.add(fallback);
    return composite;
  }

  @Override
  public Object invoke(
      ELContext context, Object base, Object method, Class<?>[] paramTypes, Object[] params) {
    if (!(base instanceof String s) || method == null) {
      return null;
    }
    Object[] args = params == null ? new Object[0] : params;
    Object result =
        switch (method.toString()) {
          case "split" -> args.length == 1 && args[0] != null ? split(s, args[0].toString()) : null;
          case "strip" -> strip(s, chars(args), true, true);
          case "lstrip" -> strip(s, chars(args), true, false);
          case "rstrip" -> strip(s, chars(args), false, true);
          case "startswith" -> args.length == 1 ? s.startsWith(String.valueOf(args[0])) : null;
          case "endswith" -> args.length == 1 ? s.endsWith(String.valueOf(args[0])) : null;
          default -> null;
        };
    if (result != null) {
      context.setPropertyResolved(true);
    }
    return result;
  }

  /** Python's {@code str.split(sep)}: literal separator, empty fields kept. */
  static List<String> split(String s, String sep) {
    if (sep.isEmpty()) {
      throw new IllegalArgumentException("empty separator");
    }
    List<String> parts = new ArrayList<>();
    int from = 0;
    for (int at = s.indexOf(sep); at >= 0; at = s.indexOf(sep, from)) {
      parts.add(s.substring(from, at));
      from = at + sep.length();
    }
    parts.add(s.substring(from));
    return parts;
  }

  private static String chars(Object[] args) {
    return args.length == 0 || args[0] == null ? null : args[0].toString();
  }

  /** Python's {@code strip}: {@code chars == null} means whitespace. */
  static String strip(String s, String chars, boolean left, boolean right) {
    int start = 0;
    int end = s.length();
    while (left && start < end && strippable(s.charAt(start), chars)) {
      start++;
    }
    while (right && end > start && strippable(s.charAt(end - 1), chars)) {
      end--;
    }
    return s.substring(start, end);
  }

  private static boolean strippable(char c, String chars) {
    return chars == null ? Character.isWhitespace(c) : chars.indexOf(c) >= 0;
  }

  @Override
  public Object getValue(ELContext context, Object base, Object property) {
    return null;
  }

  @Override
  public Class<?> getType(ELContext context, Object base, Object property) {
    return null;
  }

  @Override
  public void setValue(ELContext context, Object base, Object property, Object value) {}

  @Override
  public boolean isReadOnly(ELContext context, Object base, Object property) {
    return fallback.isReadOnly(context, base, property);
  }

  @Override
  public java.util.Iterator<java.beans.FeatureDescriptor> getFeatureDescriptors(
      ELContext context, Object base) {
    return null;
  }

  @Override
  public Class<?> getCommonPropertyType(ELContext context, Object base) {
    return null;
  }
}
