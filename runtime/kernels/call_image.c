/* call_image.c: the kernel-call thunk (k_call_nn.h) of RoiAlign. What the
 * reference adapter (runtime/ref/exec_image.c) checks at run time it checks
 * too, before the kernel reads anything: every batch index inside [0, N)
 * (else input 2's value is bad), and the bilinear samples the rois ask for
 * (the adaptive grid follows the roi size) not absurd (else input 1's). */
#include "call_cvt.h"
#include "k_image.h"

int64_t kk_call_roi_align(const void *params, void *const *buf) {
  const kk_roi_align_params *p = params;
  const float *rois = buf[1];
  const int64_t *bi = buf[2];
  for (int64_t i = 0; i < p->nrois; i++)
    if (bi[i] < 0 || bi[i] >= p->N) return 2;
  if (p->nrois * p->C * p->out_h * p->out_w == 0) return KK_CALL_OK;
  double work = 0, per_roi = (double)p->C * (double)p->out_h * (double)p->out_w;
  for (int64_t i = 0; i < p->nrois; i++)
    work += per_roi * kk_image_roi_align_samples(rois + i * 4, p->out_h, p->out_w, p->ratio, p->scale, p->half_pixel);
  if (work > 1e11) return 1;
  kk_image_roi_align_f32(buf[0], p->C, p->H, p->W, rois, bi, p->nrois, p->out_h, p->out_w, p->ratio, p->scale,
                         p->half_pixel, p->mode_max, buf[3]);
  return KK_CALL_OK;
}
