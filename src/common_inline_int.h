/*
 * kavro - what the hot paths tell the compiler about inlining, where it
 * allows saying so.
 */
#ifndef KAVRO_INLINE_INT_H
#define KAVRO_INLINE_INT_H

/* A function beside a hot path: kept out of line (and out of the way of
 * the caller's registers) where the compiler allows saying so. */
#if defined(__GNUC__) || defined(__clang__)
#define KV_NOINLINE __attribute__((noinline))
#else
#define KV_NOINLINE
#endif

/* A hot path shared by a few public functions: copied into each, so that
 * the arguments they fix (a NULL out-parameter, say) fold away. */
#if defined(__GNUC__) || defined(__clang__)
#define KV_ALWAYS_INLINE inline __attribute__((always_inline))
#else
#define KV_ALWAYS_INLINE inline
#endif

#endif /* KAVRO_INLINE_INT_H */
