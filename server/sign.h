/* server/sign.h -- --sign: signing served zones at load (algorithm 13, a KSK and a ZSK per
   zone from libdnssec, NSEC or NSEC3 with zero extra iterations and an empty salt; signatures
   by OpenSSL, or by libdnssec reproducibly), keys kept in --key-dir and reused, the DS of the
   top zones written as a trust anchor, signed zones exported as zone files. */
#ifndef MXLAB_SIGN_H
#define MXLAB_SIGN_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <time.h>

#include "common/diag.h"

struct zoneset;
struct signer; /* settings and the keys made or loaded so far (kept across reloads) */

#define SIGN_INCEPTION_BACK (3600)           /* inception: one hour back */
#define SIGN_VALIDITY       (30 * 24 * 3600) /* expiration: 30 days ahead */

/* key_dir NULL: keys are made fresh (in memory) and kept for the life of the signer. */
struct signer *signer_new(const char *key_dir, bool nsec3, char *err, size_t errlen);
void signer_free(struct signer *sg);
/* --sign-reproducible (on): sign with libdnssec's deterministic ECDSA (RFC 6979), so the
   same keys, data and time give the same bytes, about 2.5 times slower than the default
   (off: OpenSSL, random nonces, every run's signatures differ but all verify). */
void signer_set_reproducible(struct signer *sg, bool on);
/* Leave the zone with this origin (presentation form, trailing dot optional) unsigned. */
int signer_skip(struct signer *sg, const char *origin);

/* Sign every zone of the finished set zs that has no DNSKEY and is not skipped, with
   signatures valid from now - 1 h to now + 30 days, then finish the set again. With
   signer_set_reproducible, the same keys, data and now give the same bytes. Problems go to d.
   Returns 0, -1 on error. */
int signer_sign(struct signer *sg, struct zoneset *zs, time_t now, struct diag *d);

/* World mode: the synthesized root (zone set root) gets the DS of every zone of zs signed by
   the last signer_sign that has no served parent in zs (at the root's delegation to it), then
   is signed itself, like the others. 0, -1 on error (to d). */
int signer_sign_root(struct signer *sg, struct zoneset *root, const struct zoneset *zs, time_t now,
                     struct diag *d);

/* Sign data with the key of zone (lower-cased wire) whose key tag is keytag, if sg made or
   loaded it (the DNSSEC fault actions re-sign altered answers), with libdnssec, reproducibly
   in both modes (the same altered answer each time). The signature (64 bytes for
   ECDSA P-256) goes to sig (cap bytes); returns its length, 0 when there is no such key. */
size_t signer_resign(const struct signer *sg, const uint8_t *zone, size_t zlen, uint16_t keytag,
                     const uint8_t *data, size_t len, uint8_t *sig, size_t cap);

/* Write the DS records (digest type 2) of the KSK of every zone signed by sg that has no
   served parent zone, as zone-file lines. 0, -1 with err. */
int signer_write_trust_anchor(struct signer *sg, const struct zoneset *zs, const char *path,
                              char *err, size_t errlen);

/* Write every zone of zs to DIR/<origin>zone ("root.zone" for the root), SOA first, records
   in presentation form (ldns). 0, -1 with err. */
int sign_dump_zones(const struct zoneset *zs, const char *dir, char *err, size_t errlen);

#endif
