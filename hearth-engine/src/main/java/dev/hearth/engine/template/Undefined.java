package dev.hearth.engine.template;

/**
 * Jinja2's default {@code Undefined}: prints as empty, is falsy, iterates as empty, and raises (with its hint) on
 * attribute access, subscripts, calls, arithmetic and ordering. {@code kind} is SECURITY for attributes the
 * sandbox refuses (such as {@code list.append}) and UNDEFINED otherwise.
 */
record Undefined(String hint, TemplateException.Kind kind) {

    static Undefined name(String name) {
        return new Undefined(Py.repr(name) + " is undefined", TemplateException.Kind.UNDEFINED);
    }

    static Undefined attribute(Object owner, String attr) {
        return new Undefined("'" + Py.objectTypeRepr(owner) + "' has no attribute " + Py.repr(attr),
                TemplateException.Kind.UNDEFINED);
    }

    static Undefined element(Object owner, Object key) {
        if (key instanceof String s) return attribute(owner, s);
        return new Undefined(Py.objectTypeRepr(owner) + " has no element " + Py.repr(key),
                TemplateException.Kind.UNDEFINED);
    }

    static Undefined of(String hint) {
        return new Undefined(hint, TemplateException.Kind.UNDEFINED);
    }

    static Undefined unsafe(Object owner, String attr) {
        return new Undefined("access to attribute " + Py.repr(attr) + " of " + Py.repr(Py.typeName(owner))
                + " object is unsafe.", TemplateException.Kind.SECURITY);
    }

    TemplateException fail() {
        return new TemplateException(kind, hint);
    }
}
