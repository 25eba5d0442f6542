/*
 * pq_slh_impl.h - SLH-DSA (FIPS 205) top level for one SHA2 parameter set,
 * on PQClean's sphincs-sha2-*-simple/clean internals (FORS, WOTS+, Merkle
 * trees, thash). Included once per parameter set by pq_slh256s.c and
 * pq_slh256f.c, each compiled against its own PQClean directory; defines the
 * ops table AEGIS_SLH_OPS and nothing else external.
 *
 * Ours, from FIPS 205: slh_keygen_internal (Alg. 18), slh_sign_internal
 * (Alg. 19), slh_verify_internal (Alg. 20), with PRF_msg and H_msg (SHA2,
 * security category 5: HMAC-SHA-512 and MGF1-SHA-512, section 11.2.2) taking
 * M' in two pieces so the pure interface never copies the message. PQClean's
 * sign.c (SPHINCS+ 3.1 API, randombytes inside) is not compiled. The one
 * upstream difference from FIPS 205, the FORS index bit order, is fixed by
 * patches/0001 (docs/internals/slhdsa-fips205.md).
 *
 * Signing spreads the work over two threads (see "signing" below): FORS
 * trees and the hypertree layers' Merkle trees are independent; only the
 * WOTS+ signatures chain the layers, and those are cheap.
 */
#include <openssl/sha.h>
#include <pthread.h>
#include <stdatomic.h>
#include <string.h>

#include "aegis/crypto.h"
#include "pq_int.h"

#include "address.h"
#include "context.h"
#include "fors.h"
#include "hash.h"
#include "merkle.h"
#include "params.h"
#include "thash.h"
#include "utils.h"
#include "utilsx1.h"
#include "wots.h"
#include "wotsx1.h"

_Static_assert(SPX_N == AEGIS_SLHDSA_N, "n");
_Static_assert(SPX_PK_BYTES == AEGIS_SLHDSA_PK_BYTES, "pk size");
_Static_assert(SPX_SK_BYTES == AEGIS_SLHDSA_SK_BYTES, "sk size");

/* ---- tweakable hash: F, H, T_l (FIPS 205 section 11.2.2, category 5) ----
 * Ours instead of PQClean's thash_sha2_simple.c (not compiled): the same
 * function, minus its per-call VLA, state clone and three copies. F (one
 * n-byte input) is a single SHA-256 compression continuing the state that
 * absorbed PK.seed || 0^32 (the 64-byte block PQClean's seed_state builds):
 * block = ADRSc (22) || M (32) || 0x80 || 0 || be64(8 * (64 + 54)). H and
 * T_l use SHA-512, H in one compression. This is about a third of all
 * SLH-DSA time saved; see docs/internals/slhdsa-fips205.md. */
#define SLH_ADDR_BYTES 22   /* SPX_SHA256_ADDR_BYTES: compressed ADRS */

static inline void slh_store_be32x8(uint8_t *out, const SHA_LONG h[8])
{
    for (int i = 0; i < 8; i++) {
        uint32_t v = __builtin_bswap32(h[i]);
        memcpy(out + 4 * i, &v, 4);
    }
}

void thash(unsigned char *out, const unsigned char *in, unsigned int inblocks,
           const spx_ctx *ctx, uint32_t addr[8])
{
    if (inblocks == 1) {
        SHA256_CTX c;
        uint8_t block[64];
        memcpy(c.h, ctx->state_seeded.ctx.h, sizeof(c.h));
        memcpy(block, addr, SLH_ADDR_BYTES);
        memcpy(block + SLH_ADDR_BYTES, in, SPX_N);
        block[54] = 0x80;
        block[55] = 0;
        const uint64_t bits = 8 * (64 + SLH_ADDR_BYTES + SPX_N);
        uint64_t be = __builtin_bswap64(bits);
        memcpy(block + 56, &be, 8);
        SHA256_Transform(&c, block);
        slh_store_be32x8(out, c.h);
        return;
    }
    SHA512_CTX c = ctx->state_seeded_512.ctx;
    size_t len = SLH_ADDR_BYTES + (size_t)inblocks * SPX_N;
    if (len <= 111) {
        uint8_t block[128];
        memcpy(block, addr, SLH_ADDR_BYTES);
        memcpy(block + SLH_ADDR_BYTES, in, len - SLH_ADDR_BYTES);
        block[len] = 0x80;
        memset(block + len + 1, 0, 120 - len - 1);
        uint64_t be = __builtin_bswap64(8 * (128 + (uint64_t)len));
        memcpy(block + 120, &be, 8);
        SHA512_Transform(&c, block);
        for (int i = 0; i < SPX_N / 8; i++) {
            uint64_t v = __builtin_bswap64(c.h[i]);
            memcpy(out + 8 * i, &v, 8);
        }
        return;
    }
    uint8_t full[64];
    SHA512_Update(&c, addr, SLH_ADDR_BYTES);
    SHA512_Update(&c, in, (size_t)inblocks * SPX_N);
    SHA512_Final(full, &c);
    memcpy(out, full, SPX_N);
}

/* FIPS 205 Alg. 19 digest split */
#define SLH_MD_BYTES   ((SPX_FORS_TREES * SPX_FORS_HEIGHT + 7) / 8)
#define SLH_TREE_BITS  (SPX_FULL_HEIGHT - SPX_TREE_HEIGHT)
#define SLH_TREE_BYTES ((SLH_TREE_BITS + 7) / 8)
#define SLH_LEAF_BYTES ((SPX_TREE_HEIGHT + 7) / 8)
#define SLH_M_BYTES    (SLH_MD_BYTES + SLH_TREE_BYTES + SLH_LEAF_BYTES)

/* PRF_msg(SK.prf, opt_rand, M') = Trunc_n(HMAC-SHA-512(SK.prf, opt_rand || M')) */
static void slh_prf_msg(uint8_t r[SPX_N], const uint8_t sk_prf[SPX_N], const uint8_t opt_rand[SPX_N],
                        const uint8_t *pre, size_t pre_len, const uint8_t *msg, size_t msg_len)
{
    uint8_t pad[128], inner[64];
    SHA512_CTX c;

    memset(pad, 0x36, sizeof(pad));
    for (size_t i = 0; i < SPX_N; i++)
        pad[i] ^= sk_prf[i];
    SHA512_Init(&c);
    SHA512_Update(&c, pad, sizeof(pad));
    SHA512_Update(&c, opt_rand, SPX_N);
    if (pre_len)
        SHA512_Update(&c, pre, pre_len);
    if (msg_len)
        SHA512_Update(&c, msg, msg_len);
    SHA512_Final(inner, &c);

    for (size_t i = 0; i < sizeof(pad); i++)
        pad[i] ^= 0x36 ^ 0x5c;
    SHA512_Init(&c);
    SHA512_Update(&c, pad, sizeof(pad));
    SHA512_Update(&c, inner, sizeof(inner));
    SHA512_Final(inner, &c);
    memcpy(r, inner, SPX_N);

    aegis_memzero(pad, sizeof(pad));
    aegis_memzero(inner, sizeof(inner));
    aegis_memzero(&c, sizeof(c));
}

/* H_msg(R, PK.seed, PK.root, M') =
 * MGF1-SHA-512(R || PK.seed || SHA-512(R || PK.seed || PK.root || M'), m) */
static void slh_h_msg(uint8_t out[SLH_M_BYTES], const uint8_t r[SPX_N], const uint8_t pk[SPX_PK_BYTES],
                      const uint8_t *pre, size_t pre_len, const uint8_t *msg, size_t msg_len)
{
    uint8_t seed[2 * SPX_N + 64 + 4], block[64];
    SHA512_CTX c;

    SHA512_Init(&c);
    SHA512_Update(&c, r, SPX_N);
    SHA512_Update(&c, pk, SPX_PK_BYTES);
    if (pre_len)
        SHA512_Update(&c, pre, pre_len);
    if (msg_len)
        SHA512_Update(&c, msg, msg_len);
    memcpy(seed, r, SPX_N);
    memcpy(seed + SPX_N, pk, SPX_N);
    SHA512_Final(seed + 2 * SPX_N, &c);

    for (uint32_t ctr = 0, done = 0; done < SLH_M_BYTES; ctr++) {
        aegis_put_be32(seed + 2 * SPX_N + 64, ctr);
        SHA512(seed, sizeof(seed), block);
        size_t take = SLH_M_BYTES - done < 64 ? SLH_M_BYTES - done : 64;
        memcpy(out + done, block, take);
        done += (uint32_t)take;
    }
}

static void slh_split_digest(const uint8_t d[SLH_M_BYTES], uint64_t *tree, uint32_t *leaf)
{
    uint64_t t = 0;
    uint32_t l = 0;
    for (size_t i = 0; i < SLH_TREE_BYTES; i++)
        t = (t << 8) | d[SLH_MD_BYTES + i];
#if SLH_TREE_BITS < 64
    t &= ((uint64_t)1 << SLH_TREE_BITS) - 1;
#endif
    for (size_t i = 0; i < SLH_LEAF_BYTES; i++)
        l = (l << 8) | d[SLH_MD_BYTES + SLH_TREE_BYTES + i];
    l &= ((uint32_t)1 << SPX_TREE_HEIGHT) - 1;
    *tree = t;
    *leaf = l;
}

/* ---- signing ----
 * A signature is R, the FORS signature (k independent trees of height a)
 * and d XMSS signatures. Every FORS tree and every hypertree layer's Merkle
 * tree (root + authentication path) is independent work; only the WOTS+
 * signature of layer i needs the root of the tree below (the FORS public
 * key for layer 0), and a WOTS+ signature costs ~1/500 of a tree. So the
 * trees are a work list shared by the calling thread and one helper thread
 * (slh_worker, atomic counter, biggest items first), and the calling thread
 * then chains the WOTS+ signatures (slh_wots_sign). */

struct slh_job {
    const spx_ctx *ctx;
    uint8_t *sig_fors;        /* FORS part of the signature */
    uint8_t *sig_ht;          /* hypertree part */
    uint32_t fors_addr[8];    /* layer 0, tree, key pair: as fors_sign gets it */
    uint32_t indices[SPX_FORS_TREES];
    uint8_t fors_roots[SPX_FORS_TREES * SPX_N];
    uint8_t roots[SPX_D][SPX_N];
    uint64_t tree;
    uint32_t leaf;
    atomic_uint next;
    bool x2;                  /* SHA-NI two-lane compressions available */
    void (*leaf_fn)(unsigned char *, const spx_ctx *, uint32_t, void *);
};

/* Layer i's tree index and leaf index. */
static void slh_layer_idx(uint64_t tree, uint32_t leaf, unsigned layer, uint64_t *t, uint32_t *l)
{
    for (unsigned i = 0; i < layer; i++) {
        leaf = (uint32_t)(tree & ((1u << SPX_TREE_HEIGHT) - 1));
        tree >>= SPX_TREE_HEIGHT;
    }
    *t = tree;
    *l = leaf;
}

/* FIPS 205 Alg. 4 base_2b(md, a, k): MSB first (what patches/0001 makes
 * PQClean's message_to_indices do for fors_pk_from_sig). */
static void slh_fors_indices(uint32_t indices[SPX_FORS_TREES], const uint8_t *md)
{
    unsigned offset = 0;
    for (unsigned i = 0; i < SPX_FORS_TREES; i++) {
        uint32_t v = 0;
        for (unsigned j = 0; j < SPX_FORS_HEIGHT; j++, offset++)
            v = (v << 1) | ((md[offset >> 3] >> (7 - (offset & 7))) & 1u);
        indices[i] = v;
    }
}

/* FORS leaf for treehashx1: PRF then F (PQClean's static fors_gen_leafx1). */
static void slh_fors_leaf(unsigned char *leaf, const spx_ctx *ctx, uint32_t addr_idx, void *v_addr)
{
    uint32_t *addr = v_addr;
    set_tree_index(addr, addr_idx);
    set_type(addr, SPX_ADDR_TYPE_FORSPRF);
    prf_addr(leaf, ctx, addr);
    set_type(addr, SPX_ADDR_TYPE_FORSTREE);
    thash(leaf, leaf, 1, ctx, addr);
}

/* FORS leaves two at a time (SHA-NI): treehashx1 asks for leaves in
 * increasing order, so the leaf after an even one is computed together with
 * it and served from `next`. addr must stay the first member (slh_fors_leaf
 * receives the same pointer). */
struct slh_fors_info {
    uint32_t addr[8];
    uint32_t next_idx;
    bool have_next;
    uint8_t next[SPX_N];
};

static void slh_fors_leaf_x2(unsigned char *leaf, const spx_ctx *ctx, uint32_t addr_idx, void *v_info)
{
    struct slh_fors_info *fi = v_info;
    if (fi->have_next && fi->next_idx == addr_idx) {
        memcpy(leaf, fi->next, SPX_N);
        fi->have_next = false;
        return;
    }
    uint8_t blk[2][64];
    uint32_t st[2][8];
    const uint64_t bits_be = __builtin_bswap64(8 * (64 + SLH_ADDR_BYTES + SPX_N));
    set_tree_index(fi->addr, addr_idx);
    set_type(fi->addr, SPX_ADDR_TYPE_FORSPRF);
    for (int l = 0; l < 2; l++) {
        memcpy(blk[l], fi->addr, SLH_ADDR_BYTES);
        uint32_t be = __builtin_bswap32(addr_idx + (uint32_t)l);
        memcpy(blk[l] + SPX_OFFSET_TREE_INDEX, &be, 4);
        memcpy(blk[l] + SLH_ADDR_BYTES, ctx->sk_seed, SPX_N);
        blk[l][54] = 0x80;
        blk[l][55] = 0;
        memcpy(blk[l] + 56, &bits_be, 8);
        memcpy(st[l], ctx->state_seeded.ctx.h, sizeof(st[l]));
    }
    aegis__sha256x2_compress(st[0], st[1], blk[0], blk[1]);       /* PRF: FORS secret */
    for (int l = 0; l < 2; l++) {
        blk[l][SPX_OFFSET_TYPE] = SPX_ADDR_TYPE_FORSTREE;
        slh_store_be32x8(blk[l] + SLH_ADDR_BYTES, st[l]);
        memcpy(st[l], ctx->state_seeded.ctx.h, sizeof(st[l]));
    }
    aegis__sha256x2_compress(st[0], st[1], blk[0], blk[1]);       /* F: leaf */
    slh_store_be32x8(blk[0], st[0]);
    slh_store_be32x8(blk[1], st[1]);
    set_type(fi->addr, SPX_ADDR_TYPE_FORSTREE);
    memcpy(leaf, blk[0], SPX_N);
    memcpy(fi->next, blk[1], SPX_N);
    fi->next_idx = addr_idx + 1;
    fi->have_next = true;
}

/* FORS tree i: secret value of the selected leaf, auth path, root. */
static void slh_fors_tree(struct slh_job *j, unsigned i)
{
    uint32_t tree_addr[8] = { 0 };
    struct slh_fors_info info;
    uint32_t idx_offset = i * (1u << SPX_FORS_HEIGHT);
    uint8_t *sig = j->sig_fors + (size_t)i * (SPX_FORS_HEIGHT + 1) * SPX_N;

    memset(&info, 0, sizeof(info));
    copy_keypair_addr(tree_addr, j->fors_addr);
    copy_keypair_addr(info.addr, j->fors_addr);
    set_tree_height(tree_addr, 0);
    set_tree_index(tree_addr, j->indices[i] + idx_offset);
    set_type(tree_addr, SPX_ADDR_TYPE_FORSPRF);
    prf_addr(sig, j->ctx, tree_addr);
    set_type(tree_addr, SPX_ADDR_TYPE_FORSTREE);
    treehashx1(j->fors_roots + i * SPX_N, sig + SPX_N, j->ctx, j->indices[i], idx_offset,
               SPX_FORS_HEIGHT, j->x2 ? slh_fors_leaf_x2 : slh_fors_leaf, tree_addr, &info);
    aegis_memzero(&info, sizeof(info));
}

/* WOTS+ key pair -> leaf, for treehashx1: PQClean's wots_gen_leafx1 with the
 * chains advanced two at a time through aegis__sha256x2_compress (same
 * leaf_info_x1 contract: when leaf_idx == wots_sign_leaf, chain i's value at
 * step wots_steps[i] is the signature). PRF and F are both one compression
 * of block = ADRSc || 32-byte input || padding on the PK.seed-seeded state. */
static void slh_wots_leaf_x2(unsigned char *dest, const spx_ctx *ctx, uint32_t leaf_idx, void *v_info)
{
    struct leaf_info_x1 *info = v_info;
    uint8_t pk_buffer[SPX_WOTS_BYTES];
    uint8_t blk[2][64];
    uint32_t st[2][8];
    uint32_t mask = leaf_idx == info->wots_sign_leaf ? 0 : ~0u;
    const uint64_t bits_be = __builtin_bswap64(8 * (64 + SLH_ADDR_BYTES + SPX_N));

    set_keypair_addr(info->leaf_addr, leaf_idx);
    set_keypair_addr(info->pk_addr, leaf_idx);
    set_type(info->leaf_addr, SPX_ADDR_TYPE_WOTSPRF);
    set_hash_addr(info->leaf_addr, 0);
    for (int l = 0; l < 2; l++) {
        memcpy(blk[l], info->leaf_addr, SLH_ADDR_BYTES);
        blk[l][54] = 0x80;
        blk[l][55] = 0;
        memcpy(blk[l] + 56, &bits_be, 8);
    }
    for (uint32_t i = 0; i < SPX_WOTS_LEN; i += 2) {
        uint32_t chain[2] = { i, i + 1 < SPX_WOTS_LEN ? i + 1 : i };   /* odd tail: lane 1 repeats */
        for (int l = 0; l < 2; l++) {
            blk[l][SPX_OFFSET_TYPE] = SPX_ADDR_TYPE_WOTSPRF;
            blk[l][SPX_OFFSET_CHAIN_ADDR] = (uint8_t)chain[l];
            blk[l][SPX_OFFSET_HASH_ADDR] = 0;
            memcpy(blk[l] + SLH_ADDR_BYTES, ctx->sk_seed, SPX_N);
            memcpy(st[l], ctx->state_seeded.ctx.h, sizeof(st[l]));
        }
        aegis__sha256x2_compress(st[0], st[1], blk[0], blk[1]);   /* PRF: chain start */
        for (uint32_t k = 0;; k++) {
            for (int l = 0; l < 2; l++) {
                slh_store_be32x8(blk[l] + SLH_ADDR_BYTES, st[l]);
                if (k == (info->wots_steps[chain[l]] | mask))
                    memcpy(info->wots_sig + chain[l] * SPX_N, blk[l] + SLH_ADDR_BYTES, SPX_N);
            }
            if (k == SPX_WOTS_W - 1)
                break;
            for (int l = 0; l < 2; l++) {
                blk[l][SPX_OFFSET_TYPE] = SPX_ADDR_TYPE_WOTS;
                blk[l][SPX_OFFSET_HASH_ADDR] = (uint8_t)k;
                memcpy(st[l], ctx->state_seeded.ctx.h, sizeof(st[l]));
            }
            aegis__sha256x2_compress(st[0], st[1], blk[0], blk[1]);   /* F */
        }
        memcpy(pk_buffer + chain[0] * SPX_N, blk[0] + SLH_ADDR_BYTES, SPX_N);
        memcpy(pk_buffer + chain[1] * SPX_N, blk[1] + SLH_ADDR_BYTES, SPX_N);
    }
    set_type(info->leaf_addr, SPX_ADDR_TYPE_WOTS);
    thash(dest, pk_buffer, SPX_WOTS_LEN, ctx, info->pk_addr);
}

typedef void (*slh_leaf_fn)(unsigned char *, const spx_ctx *, uint32_t, void *);

static slh_leaf_fn slh_leaf(bool x2)
{
    return x2 ? slh_wots_leaf_x2 : wots_gen_leafx1;
}

/* One XMSS tree of the hypertree (layer, tree): root, authentication path for
 * `leaf` into sig + SPX_WOTS_BYTES, and, if msg is not NULL, the WOTS+
 * signature of msg by that leaf into sig (merkle_sign). msg may alias root. */
static void slh_xmss(uint8_t *sig, uint8_t *root, const spx_ctx *ctx, slh_leaf_fn leaf_fn,
                     unsigned layer, uint64_t tree, uint32_t leaf, const uint8_t *msg)
{
    uint32_t tree_addr[8] = { 0 };
    uint32_t steps[SPX_WOTS_LEN] = { 0 };
    struct leaf_info_x1 info = { 0 };

    set_type(tree_addr, SPX_ADDR_TYPE_HASHTREE);
    set_layer_addr(tree_addr, layer);
    set_tree_addr(tree_addr, tree);
    copy_subtree_addr(info.leaf_addr, tree_addr);
    copy_subtree_addr(info.pk_addr, tree_addr);
    set_type(info.leaf_addr, SPX_ADDR_TYPE_WOTS);
    set_type(info.pk_addr, SPX_ADDR_TYPE_WOTSPK);
    info.wots_steps = steps;
    info.wots_sig = sig;
    info.wots_sign_leaf = ~0u;
    if (msg) {
        chain_lengths(steps, msg);
        info.wots_sign_leaf = leaf;
    }
    treehashx1(root, sig + SPX_WOTS_BYTES, ctx, leaf, 0, SPX_TREE_HEIGHT, leaf_fn, tree_addr, &info);
}

/* Merkle tree of one hypertree layer, without its WOTS+ signature. */
static void slh_layer_tree(struct slh_job *j, unsigned layer)
{
    uint64_t tree;
    uint32_t leaf;
    uint8_t *sig = j->sig_ht + (size_t)layer * (SPX_WOTS_BYTES + SPX_TREE_HEIGHT * SPX_N);
    slh_layer_idx(j->tree, j->leaf, layer, &tree, &leaf);
    slh_xmss(sig, j->roots[layer], j->ctx, j->leaf_fn, layer, tree, leaf, NULL);
}

/* WOTS+ signature of msg (n bytes) by key pair `leaf` of (layer, tree). */
static void slh_wots_sign(uint8_t *sig, const uint8_t *msg, const spx_ctx *ctx, unsigned layer,
                          uint64_t tree, uint32_t leaf)
{
    uint32_t lengths[SPX_WOTS_LEN];
    uint32_t addr[8] = { 0 }, sk_addr[8] = { 0 };
    chain_lengths(lengths, msg);
    set_layer_addr(addr, layer);
    set_tree_addr(addr, tree);
    set_type(addr, SPX_ADDR_TYPE_WOTS);
    set_keypair_addr(addr, leaf);
    copy_subtree_addr(sk_addr, addr);
    set_type(sk_addr, SPX_ADDR_TYPE_WOTSPRF);
    set_keypair_addr(sk_addr, leaf);
    for (uint32_t i = 0; i < SPX_WOTS_LEN; i++) {
        uint8_t *out = sig + i * SPX_N;
        set_chain_addr(sk_addr, i);
        set_hash_addr(sk_addr, 0);
        prf_addr(out, ctx, sk_addr);
        set_chain_addr(addr, i);
        for (uint32_t k = 0; k < lengths[i]; k++) {
            set_hash_addr(addr, k);
            thash(out, out, 1, ctx, addr);
        }
    }
}

static void slh_keygen_impl(uint8_t pk[64], uint8_t sk[128], const uint8_t seeds[96], bool x2)
{
    spx_ctx ctx;
    memcpy(sk, seeds, 3 * SPX_N);
    memcpy(ctx.sk_seed, sk, SPX_N);
    memcpy(ctx.pub_seed, sk + 2 * SPX_N, SPX_N);
    initialize_hash_function(&ctx);
    /* the top layer's tree: what merkle_gen_root does, with our leaf function */
    uint8_t scratch[SPX_WOTS_BYTES + SPX_TREE_HEIGHT * SPX_N];
    slh_xmss(scratch, sk + 3 * SPX_N, &ctx, slh_leaf(x2), SPX_D - 1, 0, ~0u, NULL);
    free_hash_function(&ctx);
    memcpy(pk, sk + 2 * SPX_N, 2 * SPX_N);
    aegis__pq_scrub_stack();
    aegis_memzero(&ctx, sizeof(ctx));
}

/* Work items: the d layer trees (larger) first, then the k FORS trees. */
static void slh_work(struct slh_job *j)
{
    for (;;) {
        unsigned i = atomic_fetch_add_explicit(&j->next, 1, memory_order_relaxed);
        if (i < SPX_D)
            slh_layer_tree(j, i);
        else if (i < SPX_D + SPX_FORS_TREES)
            slh_fors_tree(j, i - SPX_D);
        else
            break;
    }
}

static void *slh_helper(void *arg)
{
    slh_work(arg);
    aegis__pq_scrub_stack();
    return NULL;
}

static aegis_err slh_sign_impl(uint8_t *sig, const uint8_t *pre, size_t pre_len,
                               const uint8_t *msg, size_t msg_len, const uint8_t sk[128],
                               const uint8_t opt_rand[32], bool x2)
{
    spx_ctx ctx;
    uint8_t digest[SLH_M_BYTES];
    uint8_t root[SPX_N];
    uint32_t fors_pk_addr[8] = { 0 };
    struct slh_job *job;
    struct slh_job job_mem;
    pthread_t helper;
    bool threaded;

    memcpy(ctx.sk_seed, sk, SPX_N);
    memcpy(ctx.pub_seed, sk + 2 * SPX_N, SPX_N);
    initialize_hash_function(&ctx);

    slh_prf_msg(sig, sk + SPX_N, opt_rand, pre, pre_len, msg, msg_len);
    slh_h_msg(digest, sig, sk + 2 * SPX_N, pre, pre_len, msg, msg_len);

    job = &job_mem;
    memset(job, 0, sizeof(*job));
    job->ctx = &ctx;
    job->sig_fors = sig + SPX_N;
    job->sig_ht = sig + SPX_N + SPX_FORS_BYTES;
    job->leaf_fn = slh_leaf(x2);
    job->x2 = x2;
    atomic_init(&job->next, 0);
    slh_split_digest(digest, &job->tree, &job->leaf);
    slh_fors_indices(job->indices, digest);
    set_type(job->fors_addr, SPX_ADDR_TYPE_WOTS);
    set_tree_addr(job->fors_addr, job->tree);
    set_keypair_addr(job->fors_addr, job->leaf);

    threaded = pthread_create(&helper, NULL, slh_helper, job) == 0;
    slh_work(job);
    if (threaded)
        pthread_join(helper, NULL);

    /* FORS public key, then the WOTS+ chain up the hypertree */
    copy_keypair_addr(fors_pk_addr, job->fors_addr);
    set_type(fors_pk_addr, SPX_ADDR_TYPE_FORSPK);
    thash(root, job->fors_roots, SPX_FORS_TREES, &ctx, fors_pk_addr);
    uint8_t *s = job->sig_ht;
    uint64_t tree = job->tree;
    uint32_t leaf = job->leaf;
    for (unsigned i = 0; i < SPX_D; i++) {
        slh_wots_sign(s, root, &ctx, i, tree, leaf);
        memcpy(root, job->roots[i], SPX_N);
        s += SPX_WOTS_BYTES + SPX_TREE_HEIGHT * SPX_N;
        leaf = (uint32_t)(tree & ((1u << SPX_TREE_HEIGHT) - 1));
        tree >>= SPX_TREE_HEIGHT;
    }
    free_hash_function(&ctx);
    aegis__pq_scrub_stack();
    aegis_memzero(&ctx, sizeof(ctx));
    aegis_memzero(job, sizeof(*job));
    /* Self-check: the top root must be PK.root, or the signature is unusable. */
    bool ok = aegis_ct_eq(root, sk + 3 * SPX_N, SPX_N);
    aegis_memzero(root, sizeof(root));
    return ok ? AEGIS_OK : AEGIS_ERR_BAD_KEY;
}

/* wots_pk_from_sig with chains advanced two at a time (SHA-NI). Chains are
 * paired in order of their start position so both lanes of a pair need
 * about the same number of steps; the rest of the longer one runs alone. */
static void slh_wots_pk_from_sig_x2(uint8_t *pk, const uint8_t *sig, const uint8_t *msg,
                                    const spx_ctx *ctx, const uint32_t addr[8])
{
    uint32_t lengths[SPX_WOTS_LEN];
    uint8_t order[SPX_WOTS_LEN];
    uint8_t blk[2][64];
    uint32_t st[2][8];
    uint32_t a1[8];
    const uint64_t bits_be = __builtin_bswap64(8 * (64 + SLH_ADDR_BYTES + SPX_N));

    chain_lengths(lengths, msg);
    size_t n = 0;
    for (uint32_t v = 0; v < SPX_WOTS_W; v++)          /* counting sort by start */
        for (uint32_t i = 0; i < SPX_WOTS_LEN; i++)
            if (lengths[i] == v)
                order[n++] = (uint8_t)i;
    for (int l = 0; l < 2; l++) {
        memcpy(blk[l], addr, SLH_ADDR_BYTES);
        blk[l][SPX_OFFSET_TYPE] = SPX_ADDR_TYPE_WOTS;
        blk[l][54] = 0x80;
        blk[l][55] = 0;
        memcpy(blk[l] + 56, &bits_be, 8);
    }
    for (size_t p = 0; p < SPX_WOTS_LEN; p += 2) {
        uint32_t c[2] = { order[p], p + 1 < SPX_WOTS_LEN ? order[p + 1] : order[p] };
        uint32_t k[2] = { lengths[c[0]], lengths[c[1]] };
        for (int l = 0; l < 2; l++) {
            blk[l][SPX_OFFSET_CHAIN_ADDR] = (uint8_t)c[l];
            memcpy(blk[l] + SLH_ADDR_BYTES, sig + c[l] * SPX_N, SPX_N);
        }
        while (k[0] < SPX_WOTS_W - 1 && k[1] < SPX_WOTS_W - 1) {
            for (int l = 0; l < 2; l++) {
                blk[l][SPX_OFFSET_HASH_ADDR] = (uint8_t)k[l]++;
                memcpy(st[l], ctx->state_seeded.ctx.h, sizeof(st[l]));
            }
            aegis__sha256x2_compress(st[0], st[1], blk[0], blk[1]);
            slh_store_be32x8(blk[0] + SLH_ADDR_BYTES, st[0]);
            slh_store_be32x8(blk[1] + SLH_ADDR_BYTES, st[1]);
        }
        for (int l = 0; l < 2; l++) {
            memcpy(a1, addr, sizeof(a1));
            set_chain_addr(a1, c[l]);
            for (; k[l] < SPX_WOTS_W - 1; k[l]++) {
                set_hash_addr(a1, k[l]);
                thash(blk[l] + SLH_ADDR_BYTES, blk[l] + SLH_ADDR_BYTES, 1, ctx, a1);
            }
            memcpy(pk + c[l] * SPX_N, blk[l] + SLH_ADDR_BYTES, SPX_N);
        }
    }
}

static bool slh_verify_impl(const uint8_t *sig, const uint8_t *pre, size_t pre_len,
                            const uint8_t *msg, size_t msg_len, const uint8_t pk[64], bool x2)
{
    spx_ctx ctx;
    uint8_t digest[SLH_M_BYTES];
    uint8_t wots_pk[SPX_WOTS_BYTES];
    uint8_t root[SPX_N], leaf_node[SPX_N];
    uint64_t tree;
    uint32_t leaf;
    uint32_t wots_addr[8] = { 0 }, tree_addr[8] = { 0 }, wots_pk_addr[8] = { 0 };

    memset(ctx.sk_seed, 0, SPX_N);
    memcpy(ctx.pub_seed, pk, SPX_N);
    initialize_hash_function(&ctx);
    set_type(wots_addr, SPX_ADDR_TYPE_WOTS);
    set_type(tree_addr, SPX_ADDR_TYPE_HASHTREE);
    set_type(wots_pk_addr, SPX_ADDR_TYPE_WOTSPK);

    slh_h_msg(digest, sig, pk, pre, pre_len, msg, msg_len);
    slh_split_digest(digest, &tree, &leaf);
    sig += SPX_N;
    set_tree_addr(wots_addr, tree);
    set_keypair_addr(wots_addr, leaf);
    fors_pk_from_sig(root, sig, digest, &ctx, wots_addr);
    sig += SPX_FORS_BYTES;

    for (unsigned i = 0; i < SPX_D; i++) {
        set_layer_addr(tree_addr, i);
        set_tree_addr(tree_addr, tree);
        copy_subtree_addr(wots_addr, tree_addr);
        set_keypair_addr(wots_addr, leaf);
        copy_keypair_addr(wots_pk_addr, wots_addr);
        if (x2)
            slh_wots_pk_from_sig_x2(wots_pk, sig, root, &ctx, wots_addr);
        else
            wots_pk_from_sig(wots_pk, sig, root, &ctx, wots_addr);
        sig += SPX_WOTS_BYTES;
        thash(leaf_node, wots_pk, SPX_WOTS_LEN, &ctx, wots_pk_addr);
        compute_root(root, leaf_node, leaf, 0, sig, SPX_TREE_HEIGHT, &ctx, tree_addr);
        sig += SPX_TREE_HEIGHT * SPX_N;
        leaf = (uint32_t)(tree & ((1u << SPX_TREE_HEIGHT) - 1));
        tree >>= SPX_TREE_HEIGHT;
    }
    free_hash_function(&ctx);
    return aegis_ct_eq(root, pk + SPX_N, SPX_N);
}

/* The ops: SHA-NI two-lane paths when the CPU has them; the _portable
 * entries never use them (tests compare both). */
static void slh_keygen(uint8_t pk[64], uint8_t sk[128], const uint8_t seeds[96])
{
    slh_keygen_impl(pk, sk, seeds, aegis__sha256x2_available());
}

static void slh_keygen_portable(uint8_t pk[64], uint8_t sk[128], const uint8_t seeds[96])
{
    slh_keygen_impl(pk, sk, seeds, false);
}

static aegis_err slh_sign(uint8_t *sig, const uint8_t *pre, size_t pre_len, const uint8_t *msg,
                          size_t msg_len, const uint8_t sk[128], const uint8_t opt_rand[32])
{
    return slh_sign_impl(sig, pre, pre_len, msg, msg_len, sk, opt_rand, aegis__sha256x2_available());
}

static aegis_err slh_sign_portable(uint8_t *sig, const uint8_t *pre, size_t pre_len, const uint8_t *msg,
                                   size_t msg_len, const uint8_t sk[128], const uint8_t opt_rand[32])
{
    return slh_sign_impl(sig, pre, pre_len, msg, msg_len, sk, opt_rand, false);
}

static bool slh_verify(const uint8_t *sig, const uint8_t *pre, size_t pre_len, const uint8_t *msg,
                       size_t msg_len, const uint8_t pk[64])
{
    return slh_verify_impl(sig, pre, pre_len, msg, msg_len, pk, aegis__sha256x2_available());
}

static bool slh_verify_portable(const uint8_t *sig, const uint8_t *pre, size_t pre_len, const uint8_t *msg,
                                size_t msg_len, const uint8_t pk[64])
{
    return slh_verify_impl(sig, pre, pre_len, msg, msg_len, pk, false);
}

const struct aegis__slh_ops AEGIS_SLH_OPS = {
    .sig_bytes = SPX_BYTES,
    .keygen = slh_keygen,
    .sign = slh_sign,
    .verify = slh_verify,
    .keygen_portable = slh_keygen_portable,
    .sign_portable = slh_sign_portable,
    .verify_portable = slh_verify_portable,
};
